#include "router/realm.hpp"

#include <algorithm>
#include <set>
#include <string_view>

#include "router/router_core.hpp"
#include "router/uris.hpp"

namespace autobahn_sync::router {
namespace {

// A wildcard pattern's fixed start: its components before the first empty one
// ("com.example..admin" -> "com.example"), which Crossbar.io files it under.
std::string_view fixed_start(std::string_view pattern) { return pattern.substr(0, pattern.find("..")); }

// The permission that decides for `uri`, chosen as Crossbar.io's static roles choose it
// (crossbar/router/role.py):
// - among the exact and prefix permissions, the one with the longest URI that starts `uri`
//   (the last one given, when several have that URI); it applies if it is a prefix one or
//   names `uri` itself, else nothing does (so an exact com.example.foo hides the prefix
//   com.example. from com.example.foobar);
// - unless that is an exact match, the wildcard permission with the longest fixed start
//   that starts `uri` takes over when it matches `uri` (a matching wildcard beats a prefix).
// Crossbar.io files a wildcard without an empty component inside (".create", from
// "*.create", or "com.example.") with the exact and prefix ones, where it decides only for a
// URI equal to it: so does this.
const permission* deciding_permission(const std::vector<permission>& permissions, const std::string& uri) {
  const permission* longest = nullptr;
  const permission* wildcard = nullptr;
  std::size_t wildcard_start = 0;
  for (const auto& p : permissions) {
    if (p.match == wamp::match_policy::wildcard && p.uri.find("..") != std::string::npos) {
      const auto start = fixed_start(p.uri);
      if (uri.compare(0, start.size(), start) == 0 && (!wildcard || start.size() >= wildcard_start)) {
        wildcard = &p;
        wildcard_start = start.size();
      }
    } else if (uri.compare(0, p.uri.size(), p.uri) == 0 && (!longest || p.uri.size() >= longest->uri.size())) {
      longest = &p;
    }
  }
  const permission* chosen = longest && (longest->match == wamp::match_policy::prefix || longest->uri == uri) ? longest : nullptr;
  if (chosen && chosen->match == wamp::match_policy::exact) return chosen;
  if (wildcard && wamp::uri_matches(wildcard->uri, wamp::match_policy::wildcard, uri)) return wildcard;
  return chosen;
}

}  // namespace

realm::realm(router_core& core, realm_config config)
    : core_(core), config_(std::move(config)), broker_(*this), dealer_(*this) {
  set_authenticator(nullptr);
}

void realm::set_authenticator(std::shared_ptr<authenticator> a) {
  if (!a) {
    auto& c = core_;
    a = std::make_shared<static_authenticator>(config_, core_.random(), [&c] { return c.wall_ms(); });
  }
  authenticator_ = std::move(a);
}

authorization realm::authorize(const session& who, action what, const std::string& uri) const {
  authorization result;
  const role* r = config_.find_role(who.authrole);
  const permission* best = r ? deciding_permission(r->permissions, uri) : nullptr;
  if (best) {
    result.allowed = best->allows(what);
    result.disclose_caller = best->disclose_caller;
    result.disclose_publisher = best->disclose_publisher;
  } else {
    // No roles at all: an open test realm. Otherwise a URI without a rule is denied, as in
    // Crossbar.
    result.allowed = config_.roles.empty();
  }
  if (authorizer_) {
    try {
      if (const auto verdict = authorizer_(who, what, uri)) result.allowed = *verdict;
    } catch (const std::exception& e) {
      // The application's authorizer failed: deny, and say why in the log.
      core_.log("authorizer failed: session=" + std::to_string(who.id) + " uri=" + uri + ": " + e.what());
      result.allowed = false;
    } catch (...) {
      core_.log("authorizer failed: session=" + std::to_string(who.id) + " uri=" + uri);
      result.allowed = false;
    }
  }
  return result;
}

void realm::send_error(const session& to, wamp::message_type request_type, wamp::id request,
                       std::string error_uri, wamp::list args, wamp::dict kwargs) {
  to.send(wamp::error{request_type, request, {}, std::move(error_uri), std::move(args), std::move(kwargs)});
}

bool realm::check_uri(const session& s, wamp::message_type request_type, wamp::id request,
                      const std::string& uri, wamp::match_policy policy) const {
  if (wamp::is_valid_uri(uri, config_.uri_rules, policy)) return true;
  send_error(s, request_type, request, uris::invalid_uri, {"invalid URI: " + uri});
  return false;
}

void realm::join(session& s) {
  sessions_.insert(s.id);
  broker_.publish_internal("wamp.session.on_join", {s.details()});
}

void realm::leave(session& s) {
  // Subscriptions first: the meta events of its leave reach the others, not the session itself.
  broker_.remove_session(s);
  dealer_.remove_session(s);
  sessions_.erase(s.id);
  broker_.publish_internal("wamp.session.on_leave", {s.id, s.authid, s.authrole});
}

void realm::handle(session& s, wamp::message&& msg) {
  std::visit(
      [&](auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, wamp::subscribe>) broker_.subscribe(s, std::move(m));
        else if constexpr (std::is_same_v<T, wamp::unsubscribe>) broker_.unsubscribe(s, m);
        else if constexpr (std::is_same_v<T, wamp::publish>) broker_.publish(s, std::move(m));
        else if constexpr (std::is_same_v<T, wamp::register_>) dealer_.register_procedure(s, std::move(m));
        else if constexpr (std::is_same_v<T, wamp::unregister>) dealer_.unregister(s, m);
        else if constexpr (std::is_same_v<T, wamp::call>) dealer_.call(s, std::move(m));
        else if constexpr (std::is_same_v<T, wamp::cancel>) dealer_.cancel(s, m);
        else if constexpr (std::is_same_v<T, wamp::yield>) dealer_.yield(s, std::move(m));
        else if constexpr (std::is_same_v<T, wamp::error>) {
          if (m.request_type == wamp::message_type::invocation) {
            dealer_.invocation_error(s, std::move(m));
          } else {
            core_.abort_session(s, uris::protocol_violation, "ERROR may only answer an INVOCATION");
          }
        } else {
          core_.abort_session(s, uris::protocol_violation,
                              std::string(wamp::name_of(wamp::type_of(wamp::message(m)))) +
                                  " is not a message a client sends in an established session");
        }
      },
      msg);
}

// ---- meta API ------------------------------------------------------------------------------

namespace {

wamp::dict registration_details(const registration_record& r) {
  return {{"id", r.id}, {"uri", r.uri}, {"match", wamp::to_string(r.match)}, {"invoke", r.invoke},
          {"created", r.created}};
}

wamp::dict subscription_details(const subscription_record& s) {
  return {{"id", s.id}, {"uri", s.uri}, {"match", wamp::to_string(s.match)}, {"created", s.created}};
}

std::optional<wamp::id> id_arg(const wamp::call& msg, std::size_t index) {
  if (msg.args.size() <= index) return std::nullopt;
  return wamp::as_unsigned(msg.args[index]);
}

std::optional<std::string> string_arg(const wamp::call& msg, std::size_t index) {
  if (msg.args.size() <= index || !msg.args[index].is_string()) return std::nullopt;
  return msg.args[index].get<std::string>();
}

wamp::match_policy match_option(const wamp::call& msg, std::size_t index) {
  if (msg.args.size() > index && msg.args[index].is_object() && msg.args[index].contains("match") &&
      msg.args[index]["match"].is_string()) {
    if (const auto p = wamp::parse_match_policy(msg.args[index]["match"].get<std::string>())) return *p;
  }
  return wamp::match_policy::exact;
}

template <class Records>
wamp::value ids_by_policy(const Records& records) {
  wamp::value out = {{"exact", wamp::value::array()}, {"prefix", wamp::value::array()}, {"wildcard", wamp::value::array()}};
  for (const auto* r : records) out[std::string(wamp::to_string(r->match))].push_back(r->id);
  return out;
}

}  // namespace

bool realm::call_meta(session& s, const wamp::call& msg) {
  const std::string& p = msg.procedure;
  auto reply = [&](wamp::list args) { s.send(wamp::result{msg.request, {}, std::move(args)}); };
  auto fail = [&](const char* uri, std::string text) {
    send_error(s, wamp::message_type::call, msg.request, uri, {std::move(text)});
  };
  auto bad_argument = [&] { fail(uris::invalid_argument, "wrong arguments for " + p); };

  if (p == "wamp.session.count" || p == "wamp.session.list") {
    // Optional filter_authroles: only sessions of these roles.
    std::optional<std::set<std::string>> roles;
    if (!msg.args.empty() && !msg.args[0].is_null()) {
      if (!msg.args[0].is_array()) return bad_argument(), true;
      roles.emplace();
      for (const auto& r : msg.args[0]) {
        if (!r.is_string()) return bad_argument(), true;
        roles->insert(r.get<std::string>());
      }
    }
    std::vector<wamp::id> ids;
    for (const wamp::id id : sessions_) {
      const session* member = core_.find_session(id);
      if (!roles || (member && roles->count(member->authrole))) ids.push_back(id);
    }
    if (p == "wamp.session.count") reply({ids.size()});
    else reply({wamp::value(ids)});
  } else if (p == "wamp.session.get") {
    const auto id = id_arg(msg, 0);
    if (!id) return bad_argument(), true;
    session* other = sessions_.count(*id) ? core_.find_session(*id) : nullptr;
    if (!other) return fail(uris::no_such_session, "no session " + std::to_string(*id)), true;
    reply({other->details()});
  } else if (p == "wamp.session.kill") {
    const auto id = id_arg(msg, 0);
    if (!id) return bad_argument(), true;
    if (*id == s.id) return fail(uris::no_such_session, "a session cannot kill itself"), true;
    const auto reason = msg.kwargs.count("reason") && msg.kwargs.at("reason").is_string()
                            ? msg.kwargs.at("reason").get<std::string>()
                            : std::string(uris::killed);
    if (!wamp::is_valid_uri(reason))
      return fail(uris::invalid_uri, "the reason " + reason + " is not a valid URI"), true;
    const auto message = msg.kwargs.count("message") && msg.kwargs.at("message").is_string()
                             ? msg.kwargs.at("message").get<std::string>()
                             : std::string();
    if (!sessions_.count(*id) || !core_.kill(*id, reason, message))
      return fail(uris::no_such_session, "no session " + std::to_string(*id)), true;
    reply({});
  } else if (p == "wamp.registration.list") {
    reply({ids_by_policy(dealer_.all())});
  } else if (p == "wamp.registration.lookup") {
    const auto uri = string_arg(msg, 0);
    if (!uri) return bad_argument(), true;
    const auto* r = dealer_.lookup(*uri, match_option(msg, 1));
    reply({r ? wamp::value(r->id) : wamp::value(nullptr)});
  } else if (p == "wamp.registration.match") {
    const auto uri = string_arg(msg, 0);
    if (!uri) return bad_argument(), true;
    const auto* r = dealer_.best_match(*uri);
    reply({r ? wamp::value(r->id) : wamp::value(nullptr)});
  } else if (p == "wamp.registration.get" || p == "wamp.registration.list_callees" ||
             p == "wamp.registration.count_callees") {
    const auto id = id_arg(msg, 0);
    if (!id) return bad_argument(), true;
    const auto* r = dealer_.find(*id);
    if (!r) return fail(uris::no_such_registration, "no registration " + std::to_string(*id)), true;
    if (p == "wamp.registration.get") reply({registration_details(*r)});
    else if (p == "wamp.registration.list_callees") reply({wamp::value(r->callees)});
    else reply({r->callees.size()});
  } else if (p == "wamp.subscription.list") {
    reply({ids_by_policy(broker_.all())});
  } else if (p == "wamp.subscription.lookup") {
    const auto uri = string_arg(msg, 0);
    if (!uri) return bad_argument(), true;
    const auto* r = broker_.lookup(*uri, match_option(msg, 1));
    reply({r ? wamp::value(r->id) : wamp::value(nullptr)});
  } else if (p == "wamp.subscription.match") {
    const auto uri = string_arg(msg, 0);
    if (!uri) return bad_argument(), true;
    wamp::value ids = wamp::value::array();
    for (const auto* r : broker_.matching(*uri)) ids.push_back(r->id);
    reply({ids.empty() ? wamp::value(nullptr) : ids});
  } else if (p == "wamp.subscription.get" || p == "wamp.subscription.list_subscribers" ||
             p == "wamp.subscription.count_subscribers" || p == "wamp.subscription.get_events") {
    const auto id = id_arg(msg, 0);
    if (!id) return bad_argument(), true;
    const auto* r = broker_.find(*id);
    if (!r) return fail(uris::no_such_subscription, "no subscription " + std::to_string(*id)), true;
    if (p == "wamp.subscription.get") {
      reply({subscription_details(*r)});
    } else if (p == "wamp.subscription.list_subscribers") {
      reply({wamp::value(r->subscribers)});
    } else if (p == "wamp.subscription.count_subscribers") {
      reply({r->subscribers.size()});
    } else {
      // Crossbar.io's defaults: at most 10 events, the newest first.
      const std::size_t limit = id_arg(msg, 1).value_or(10);
      wamp::value events = wamp::value::array();
      const auto history = broker_.history(*r, limit);
      for (auto it = history.rbegin(); it != history.rend(); ++it) {
        const auto& e = *it;
        wamp::value event = {{"timestamp", e.timestamp_ms}, {"publication", e.publication},
                             {"topic", e.topic}, {"args", e.args}, {"kwargs", e.kwargs}};
        for (const auto& [k, v] : e.details) event[k] = v;
        events.push_back(std::move(event));
      }
      reply({events});
    }
  } else {
    return false;
  }
  return true;
}

}  // namespace autobahn_sync::router

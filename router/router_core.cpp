#include "router/router_core.hpp"

#include <cstdio>
#include <ctime>
#include <type_traits>

#include "router/uris.hpp"
#include "wamp/auth/secrets.hpp"

namespace autobahn_sync::router {
namespace {

wamp::dict router_roles() {
  const auto features = [](std::initializer_list<const char*> names) {
    wamp::dict f;
    for (const char* n : names) f[n] = true;
    return wamp::value::object({{"features", f}});
  };
  return wamp::dict{
      {"broker", features({"publisher_identification", "pattern_based_subscription",
                           "subscriber_blackwhite_listing", "publisher_exclusion", "session_meta_api",
                           "subscription_meta_api", "event_history"})},
      {"dealer", features({"caller_identification", "pattern_based_registration", "progressive_call_results",
                           "call_canceling", "call_timeout", "shared_registration", "session_meta_api",
                           "registration_meta_api"})},
  };
}

std::vector<std::string> string_list(const wamp::dict& d, const char* key) {
  std::vector<std::string> out;
  const auto it = d.find(key);
  if (it == d.end() || !it->second.is_array()) return out;
  for (const auto& v : it->second)
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

std::string string_of(const wamp::dict& d, const char* key) {
  const auto it = d.find(key);
  return it != d.end() && it->second.is_string() ? it->second.get<std::string>() : std::string();
}

}  // namespace

router_core::router_core(core_options options) : options_(std::move(options)) {
  if (!options_.clock) options_.clock = [] { return std::chrono::steady_clock::now(); };
  if (!options_.wall_clock) {
    options_.wall_clock = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
  const std::uint64_t seed = options_.seed != 0 ? options_.seed : wamp::random_seed();
  rng_.seed(seed);
  ids_ = wamp::random_id_source(seed ^ 0x9e3779b97f4a7c15ull);
  if (!options_.random) {
    if (options_.seed != 0) {
      // Reproducible nonces for simulations; never for production (seed 0 means entropy).
      auto engine = std::make_shared<std::mt19937_64>(seed ^ 0xa5a5a5a5a5a5a5a5ull);
      options_.random = [engine](unsigned char* out, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<unsigned char>((*engine)());
      };
    } else {
      options_.random = wamp::auth::system_random();
    }
  }
}

router_core::~router_core() = default;

realm& router_core::add_realm(realm_config config) {
  if (realms_.count(config.name)) throw config_error("realm " + config.name + " exists already");
  auto name = config.name;
  auto r = std::make_unique<realm>(*this, std::move(config));
  return *realms_.emplace(std::move(name), std::move(r)).first->second;
}

bool router_core::remove_realm(const std::string& name) {
  const auto it = realms_.find(name);
  if (it == realms_.end()) return false;
  it->second->the_broker().stop_meta_events();
  const auto members = it->second->sessions();
  for (const wamp::id id : members) {
    if (session* s = find_session(id)) {
      s->send(wamp::goodbye{{{"message", "the realm was removed"}}, uris::close_realm});
      end_session(*s);
    }
  }
  // Sessions still authenticating in it are aborted.
  for (auto& [id, s] : sessions_) {
    if (s->joined == it->second.get()) abort_session(*s, uris::no_such_realm, "the realm was removed");
  }
  realms_.erase(it);
  return true;
}

realm* router_core::find_realm(const std::string& name) {
  const auto it = realms_.find(name);
  return it == realms_.end() ? nullptr : it->second.get();
}

wamp::id router_core::new_global_id() { return ids_.next(); }

std::string router_core::wall_iso8601() const {
  const std::int64_t ms = wall_ms();
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[40];
  const auto n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(text + n, sizeof text - n, ".%03dZ", static_cast<int>(ms % 1000));
  return text;
}

wamp::id router_core::attach(session_sink sink, transport_details transport,
                             std::shared_ptr<const transport_auth> auth) {
  if (options_.limits.max_connections && sessions_.size() >= options_.limits.max_connections) {
    log_limit("max_connections", transport.peer,
              "closed: " + std::to_string(sessions_.size()) + " connections are served already");
    if (sink.close) sink.close();
    return 0;  // not served: receive() and detach() ignore id 0
  }
  wamp::id id = new_global_id();
  while (sessions_.count(id)) id = new_global_id();
  auto s = std::make_unique<session>();
  s->id = id;
  s->sink = std::move(sink);
  s->transport = std::move(transport);
  s->auth = std::move(auth);
  sessions_.emplace(id, std::move(s));
  arm_join_deadline(id);
  return id;
}

session* router_core::find_session(wamp::id id) {
  const auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second.get();
}

void router_core::detach(wamp::id connection) {
  const auto it = sessions_.find(connection);
  if (it == sessions_.end()) return;
  end_session(*it->second);
  disarm_join_deadline(connection);
  sessions_.erase(it);
}

void router_core::arm_deadline(wamp::id id, std::chrono::milliseconds timeout) {
  disarm_join_deadline(id);
  join_deadline_of_[id] = join_deadlines_.emplace(now() + timeout, id);
}

void router_core::disarm_join_deadline(wamp::id id) {
  const auto it = join_deadline_of_.find(id);
  if (it == join_deadline_of_.end()) return;
  join_deadlines_.erase(it->second);
  join_deadline_of_.erase(it);
}

void router_core::end_session(session& s) {
  if (s.joined) {
    if (s.phase == session::state::authenticating) {
      s.joined->current_authenticator().forget(s.id);
    } else {
      log("leave session=" + std::to_string(s.id) + " realm=" + s.joined->name() + " authid=" + s.authid);
      s.joined->leave(s);
    }
  }
  s.joined = nullptr;
  s.phase = session::state::awaiting_hello;
  s.hello = {};
  // A session that had joined gets a new join timeout; one that had not (its ABORT while it
  // authenticated) keeps the deadline it had, so that aborting and starting over does not
  // put it off.
  if (!join_deadline_of_.count(s.id)) arm_join_deadline(s.id);
}

void router_core::log_limit(std::string_view limit, const session& s, const std::string& what) const {
  log("limit " + std::string(limit) + ": session=" + std::to_string(s.id) + " peer=" + s.transport.peer + " " + what);
}

void router_core::log_limit(std::string_view limit, const std::string& peer, const std::string& what) const {
  log("limit " + std::string(limit) + ": peer=" + peer + " " + what);
}

void router_core::abort_session(session& s, const std::string& reason, const std::string& message,
                                std::string_view limit) {
  log((limit.empty() ? std::string() : "limit " + std::string(limit) + ": ") + "abort session=" +
      std::to_string(s.id) + " peer=" + s.transport.peer + " reason=" + reason +
      (message.empty() ? std::string() : " message=" + message));
  wamp::dict details;
  if (!message.empty()) details["message"] = message;
  s.send(wamp::abort{std::move(details), reason});
  end_session(s);
  s.phase = session::state::closing;
  disarm_join_deadline(s.id);  // its connection is closing: no join to wait for
  if (s.sink.close) s.sink.close();
}

void router_core::receive_bad(wamp::id connection, const std::string& detail, std::string_view limit) {
  if (session* s = find_session(connection)) abort_session(*s, uris::protocol_violation, detail, limit);
}

void router_core::receive(wamp::id connection, wamp::message&& msg) {
  session* found = find_session(connection);
  if (!found) return;
  session& s = *found;
  switch (s.phase) {
    case session::state::awaiting_hello:
      if (auto* hello = std::get_if<wamp::hello>(&msg)) return on_hello(s, std::move(*hello));
      if (std::holds_alternative<wamp::abort>(msg) || std::holds_alternative<wamp::goodbye>(msg)) return;
      return abort_session(s, uris::protocol_violation,
                           std::string(wamp::name_of(wamp::type_of(msg))) + " before HELLO");
    case session::state::authenticating:
      if (auto* auth = std::get_if<wamp::authenticate>(&msg)) return on_authenticate(s, *auth);
      if (std::holds_alternative<wamp::abort>(msg)) return end_session(s);
      return abort_session(s, uris::protocol_violation,
                           std::string(wamp::name_of(wamp::type_of(msg))) + " while authenticating");
    case session::state::established:
      if (std::holds_alternative<wamp::goodbye>(msg)) {
        s.send(wamp::goodbye{{}, uris::goodbye_and_out});
        return end_session(s);
      }
      if (std::holds_alternative<wamp::abort>(msg)) return end_session(s);
      return s.joined->handle(s, std::move(msg));
    case session::state::closing:
      // The router said GOODBYE; the client's GOODBYE completes it. Anything else is late.
      if (std::holds_alternative<wamp::goodbye>(msg) || std::holds_alternative<wamp::abort>(msg)) {
        disarm_join_deadline(s.id);  // the GOODBYE's deadline; a join has its own
        end_session(s);
      }
      return;
  }
}

void router_core::on_hello(session& s, wamp::hello&& msg) {
  if (!wamp::is_valid_uri(msg.realm)) return abort_session(s, uris::protocol_violation, "the realm is not a valid URI");
  realm* r = find_realm(msg.realm);
  if (!r) {
    s.send(wamp::abort{{{"message", "no realm named " + msg.realm}}, uris::no_such_realm});
    return;
  }
  const auto roles = msg.details.find("roles");
  if (roles != msg.details.end() && !roles->second.is_object())
    return abort_session(s, uris::protocol_violation, "HELLO.Details.roles must be a dict");
  s.client_roles = roles != msg.details.end() ? roles->second.get<wamp::dict>() : wamp::dict{};
  hello_request& h = s.hello;
  h.realm = msg.realm;
  h.session = s.id;
  h.authid = string_of(msg.details, "authid");
  h.authrole = string_of(msg.details, "authrole");
  h.authmethods = string_list(msg.details, "authmethods");
  const auto extra = msg.details.find("authextra");
  h.authextra = extra != msg.details.end() && extra->second.is_object() ? extra->second.get<wamp::dict>() : wamp::dict{};
  h.details = std::move(msg.details);
  h.transport = s.transport.type;
  h.via = s.auth.get();
  s.joined = r;
  s.phase = session::state::authenticating;
  apply(s, *r, ask_authenticator(s, [&](authenticator& a) { return a.on_hello(h); }));
}

void router_core::on_authenticate(session& s, const wamp::authenticate& msg) {
  realm* r = s.joined;
  apply(s, *r, ask_authenticator(s, [&](authenticator& a) { return a.on_authenticate(s.hello, msg); }));
}

template <class Ask>
auth_decision router_core::ask_authenticator(const session& s, Ask&& ask) {
  try {
    return ask(s.joined->current_authenticator());
  } catch (const std::exception& e) {
    // An application's authenticator failed: the peer is refused, the log says why.
    log("authenticator failed: session=" + std::to_string(s.id) + ": " + e.what());
  } catch (...) {
    log("authenticator failed: session=" + std::to_string(s.id));
  }
  return auth_decision::abort(uris::authentication_failed);
}

void router_core::apply(session& s, realm& r, auth_decision&& d) {
  switch (d.what) {
    case auth_decision::kind::challenge:
      s.send(wamp::challenge{std::move(d.challenge_method), std::move(d.challenge_extra)});
      return;
    case auth_decision::kind::abort: {
      log("refused session=" + std::to_string(s.id) + " realm=" + r.name() + " peer=" + s.transport.peer +
          " reason=" + (d.reason.empty() ? std::string(uris::authentication_failed) : d.reason));
      wamp::dict details;
      if (!d.message.empty()) details["message"] = d.message;
      s.send(wamp::abort{std::move(details), d.reason.empty() ? uris::authentication_failed : d.reason});
      s.joined = nullptr;
      s.phase = session::state::awaiting_hello;
      s.hello = {};
      return;
    }
    case auth_decision::kind::welcome: break;
  }
  if (!r.config().roles.empty() && !r.config().find_role(d.authrole)) {
    s.send(wamp::abort{{{"message", "no role named " + d.authrole}}, uris::no_such_role});
    s.joined = nullptr;
    s.phase = session::state::awaiting_hello;
    return;
  }
  s.authid = std::move(d.authid);
  s.authrole = std::move(d.authrole);
  s.authmethod = std::move(d.authmethod);
  s.authprovider = std::move(d.authprovider);
  s.authextra = std::move(d.authextra);
  s.phase = session::state::established;
  s.hello = {};
  disarm_join_deadline(s.id);
  wamp::dict details{{"realm", r.name()},
                     {"authid", s.authid},
                     {"authrole", s.authrole},
                     {"authmethod", s.authmethod},
                     {"authprovider", s.authprovider},
                     {"roles", router_roles()},
                     {"agent", "autobahn-sync-router"}};
  if (!s.authextra.empty()) details["authextra"] = s.authextra;
  s.send(wamp::welcome{s.id, std::move(details)});
  log("join session=" + std::to_string(s.id) + " realm=" + r.name() + " authid=" + s.authid + " authrole=" +
      s.authrole + " authmethod=" + s.authmethod + " transport=" + s.transport.type + "/" + s.transport.serializer +
      " peer=" + s.transport.peer);
  r.join(s);
}

void router_core::shutdown(const std::string& reason) {
  for (auto& [name, r] : realms_) r->the_broker().stop_meta_events();
  for (auto& [id, s] : sessions_) {
    if (s->phase == session::state::established) {
      s->send(wamp::goodbye{{{"message", "the router is shutting down"}}, reason});
      s->joined->leave(*s);
      s->joined = nullptr;
      s->phase = session::state::closing;
    }
    if (s->sink.close) s->sink.close();
  }
}

bool router_core::kill(wamp::id id, const std::string& reason, const std::string& message) {
  session* s = find_session(id);
  if (!s || s->phase != session::state::established) return false;
  wamp::dict details;
  if (!message.empty()) details["message"] = message;
  s->send(wamp::goodbye{std::move(details), reason.empty() ? uris::killed : reason});
  s->joined->leave(*s);
  s->joined = nullptr;
  s->phase = session::state::closing;
  arm_deadline(id, options_.limits.goodbye_timeout);
  return true;
}

std::optional<router_core::time_point> router_core::next_deadline() const {
  std::optional<time_point> next;
  // Entries are kept for connections still waiting to join; the check only guards that.
  for (const auto& [when, id] : join_deadlines_) {
    const auto it = sessions_.find(id);
    const session* s = it == sessions_.end() ? nullptr : it->second.get();
    if (!s || s->phase == session::state::established) continue;
    next = when;
    break;
  }
  for (const auto& [name, r] : realms_) {
    const auto d = r->the_dealer().next_deadline();
    if (d && (!next || *d < *next)) next = d;
  }
  return next;
}

void router_core::expire() {
  const auto t = now();
  while (!join_deadlines_.empty() && join_deadlines_.begin()->first <= t) {
    const wamp::id id = join_deadlines_.begin()->second;
    join_deadlines_.erase(join_deadlines_.begin());
    join_deadline_of_.erase(id);
    session* s = find_session(id);
    if (!s || s->phase == session::state::established) continue;
    if (s->phase == session::state::closing) {
      // Killed, and it has not answered the router's GOODBYE.
      log_limit("goodbye_timeout", *s, "closed: no GOODBYE came back in time");
      if (s->sink.close) s->sink.close();
      continue;
    }
    abort_session(*s, uris::timeout, "the session did not join in time", "join_timeout");
  }
  for (auto& [name, r] : realms_) r->the_dealer().expire(t);
}

}  // namespace autobahn_sync::router

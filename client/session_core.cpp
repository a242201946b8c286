#include "client/session_core.hpp"

#include <algorithm>
#include <utility>

#include "client/errors.hpp"
#include "client/uris.hpp"
#include "wamp/errc.hpp"

namespace autobahn_sync {
namespace {

template <class... F>
struct overloaded : F... {
  using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

bool is_true(const wamp::dict& d, const char* key) {
  auto it = d.find(key);
  return it != d.end() && it->second.is_boolean() && it->second.get<bool>();
}

// A REGISTER's match policy as the router tells registrations apart by it.
std::string match_policy_of(const wamp::dict& options) {
  auto it = options.find("match");
  return it != options.end() && it->second.is_string() ? it->second.get<std::string>() : "exact";
}

wamp::dict features(std::initializer_list<const char*> names) {
  wamp::dict f;
  for (const char* name : names) f[name] = true;
  return wamp::dict{{"features", f}};
}

}  // namespace

wamp::dict client_roles() {
  return wamp::dict{
      {"caller", features({"progressive_call_results", "call_canceling", "call_timeout",
                           "caller_identification"})},
      {"callee", features({"progressive_call_results", "call_canceling", "call_timeout",
                           "caller_identification", "pattern_based_registration",
                           "shared_registration"})},
      {"publisher", features({"publisher_identification", "subscriber_blackwhite_listing",
                              "publisher_exclusion"})},
      {"subscriber", features({"publisher_identification", "pattern_based_subscription"})},
  };
}

session_core::session_core(hooks h) : hooks_(std::move(h)) {}

wamp::id session_core::next_id() {
  if (hooks_.next_request_id) {
    // The application's ids: one out of range or still in use would mix two requests' answers.
    const auto id = hooks_.next_request_id();
    if (id < 1 || id > wamp::max_id) throw Error("next_request_id gave " + std::to_string(id) + ", not an id in 1..2^53");
    if (pending_.contains(id)) throw Error("next_request_id gave " + std::to_string(id) + ", which a pending request uses");
    return id;
  }
  last_request_id_ = last_request_id_ >= wamp::max_id ? 1 : last_request_id_ + 1;
  return last_request_id_;
}

void session_core::require_established() const {
  switch (state_) {
    case state::established:
      return;
    case state::joining:
      throw SessionNotReady("the WAMP session is not established yet");
    case state::leaving:
      throw TransportLost("the WAMP session is closing");
    case state::closed:
      if (!ever_joined_) throw SessionNotReady("the WAMP session is not established");
      throw TransportLost("the WAMP session is closed");
  }
}

void session_core::send_or_throw(const wamp::message& msg) {
  auto ec = hooks_.send(msg);
  if (!ec) return;
  if (wamp::is_encoding_error(ec)) {
    throw SerializationError("cannot send " + std::string(wamp::name_of(wamp::type_of(msg))) +
                             ": " + ec.message());
  }
  throw TransportLost("cannot send " + std::string(wamp::name_of(wamp::type_of(msg))) + ": " +
                      ec.message());
}

void session_core::join(const join_options& options) {
  if (state_ != state::closed) throw ProtocolError("join() on a session that is not closed");
  wamp::dict details{{"roles", client_roles()}, {"agent", options.agent}};
  if (!options.authmethods.empty()) {
    wamp::list methods(options.authmethods.begin(), options.authmethods.end());
    details["authmethods"] = methods;
  }
  if (!options.authid.empty()) details["authid"] = options.authid;
  if (!options.authrole.empty()) details["authrole"] = options.authrole;
  if (!options.authextra.empty()) details["authextra"] = options.authextra;
  session_id_ = 0;
  welcome_details_.clear();
  state_ = state::joining;
  try {
    send_or_throw(wamp::hello{options.realm, std::move(details)});
  } catch (...) {
    state_ = state::closed;
    throw;
  }
}

void session_core::leave(std::string reason, std::exception_ptr pending_error) {
  if (state_ == state::closed || state_ == state::leaving) return;
  if (!pending_error) pending_error = std::make_exception_ptr(TransportLost("the session left"));
  if (state_ == state::joining) {
    // No session to say goodbye to yet: an ABORT tells the router we give up.
    (void)hooks_.send(wamp::abort{{}, wamp::uri(uris::close_normal)});
    close(pending_error);
    return;
  }
  state_ = state::leaving;
  fail_all(pending_error);
  auto ec = hooks_.send(
      wamp::goodbye{{}, reason.empty() ? wamp::uri(uris::close_normal) : std::move(reason)});
  if (ec) close(std::make_exception_ptr(TransportLost("cannot send GOODBYE: " + ec.message())));
}

void session_core::on_transport_lost(const std::string& why) {
  if (state_ == state::closed) return;
  close(std::make_exception_ptr(TransportLost("transport lost: " + why)));
}

void session_core::on_bad_message(const std::string& what) {
  if (state_ == state::closed) return;
  protocol_violation("invalid message: " + what);
}

void session_core::close(std::exception_ptr why) {
  state_ = state::closed;
  auto pending = std::exchange(pending_, {});
  subscriptions_.clear();
  registrations_.clear();
  keys_of_subscription_.clear();
  unsubscribing_.clear();
  unregistering_.clear();
  key_of_registration_.clear();
  open_invocations_.clear();
  recent_invocations_.clear();
  recent_invocation_order_.clear();
  // The owner learns of the close before any waiter wakes, so a woken caller sees the
  // session closed.
  if (hooks_.on_close) hooks_.on_close(why);
  fail_all(std::move(pending),
           why ? why : std::make_exception_ptr(TransportLost("the session is closed")));
}

void session_core::fail_all(std::exception_ptr error) {
  fail_all(std::exchange(pending_, {}), error);
}

void session_core::fail_all(std::map<wamp::id, pending> pending, std::exception_ptr error) {
  for (auto& [request, p] : pending) {
    std::visit(overloaded{
                   [&](pending_call& c) { c.handler(call_outcome{error, {}, false}); },
                   [&](pending_publish& c) { c.handler(error, 0); },
                   [&](pending_subscribe& c) { c.handler(error, 0); },
                   [&](pending_unsubscribe& c) { c.handler(error); },
                   [&](pending_register& c) { c.handler(error, 0); },
                   [&](pending_unregister& c) { c.handler(error); },
               },
               p);
  }
}

void session_core::protocol_violation(const std::string& what) {
  (void)hooks_.send(wamp::abort{{{"message", what}}, wamp::uri(uris::protocol_violation)});
  close(std::make_exception_ptr(ProtocolError("protocol violation by the router: " + what)));
}

void session_core::on_message(wamp::message&& msg) {
  if (state_ == state::closed) return;
  const auto type = wamp::type_of(msg);
  if (state_ == state::leaving) {
    // After our GOODBYE only the router's GOODBYE (or an ABORT) matters.
    if (type == wamp::message_type::goodbye || type == wamp::message_type::abort) {
      close(nullptr);
    }
    return;
  }
  if (state_ == state::joining) {
    switch (type) {
      case wamp::message_type::welcome:
        return on_welcome(std::get<wamp::welcome>(std::move(msg)));
      case wamp::message_type::challenge:
        return on_challenge(std::get<wamp::challenge>(std::move(msg)));
      case wamp::message_type::abort: {
        auto& a = std::get<wamp::abort>(msg);
        return close(std::make_exception_ptr(AbortError(a.reason, std::move(a.details))));
      }
      default:
        return protocol_violation(std::string(wamp::name_of(type)) + " before WELCOME");
    }
  }
  switch (type) {
    case wamp::message_type::error:
      return on_error(std::get<wamp::error>(std::move(msg)));
    case wamp::message_type::result:
      return on_result(std::get<wamp::result>(std::move(msg)));
    case wamp::message_type::published:
      return on_published(std::get<wamp::published>(msg));
    case wamp::message_type::subscribed:
      return on_subscribed(std::get<wamp::subscribed>(msg));
    case wamp::message_type::unsubscribed:
      return on_unsubscribed(std::get<wamp::unsubscribed>(msg));
    case wamp::message_type::registered:
      return on_registered(std::get<wamp::registered>(msg));
    case wamp::message_type::unregistered:
      return on_unregistered(std::get<wamp::unregistered>(msg));
    case wamp::message_type::event:
      return on_event(std::get<wamp::event>(msg));
    case wamp::message_type::invocation:
      return on_invocation(std::get<wamp::invocation>(std::move(msg)));
    case wamp::message_type::interrupt:
      return on_interrupt(std::get<wamp::interrupt>(msg));
    case wamp::message_type::goodbye: {
      auto& g = std::get<wamp::goodbye>(msg);
      (void)hooks_.send(wamp::goodbye{{}, wamp::uri(uris::close_goodbye_and_out)});
      std::string text = "the router closed the session: " + g.reason;
      if (auto it = g.details.find("message"); it != g.details.end() && it->second.is_string()) {
        text += " (" + it->second.get<std::string>() + ")";
      }
      return close(std::make_exception_ptr(TransportLost(text)));
    }
    case wamp::message_type::abort: {
      auto& a = std::get<wamp::abort>(msg);
      return close(std::make_exception_ptr(AbortError(a.reason, std::move(a.details))));
    }
    default:
      return protocol_violation(std::string(wamp::name_of(type)) + " sent to a client");
  }
}

void session_core::on_welcome(wamp::welcome&& msg) {
  state_ = state::established;
  ever_joined_ = true;
  session_id_ = msg.session;
  welcome_details_ = std::move(msg.details);
  if (hooks_.on_join) hooks_.on_join(wamp::welcome{session_id_, welcome_details_});
}

void session_core::on_challenge(wamp::challenge&& msg) {
  std::string failure;
  if (!hooks_.on_challenge) {
    failure = "no challenge handler for authmethod '" + msg.authmethod + "'";
  } else {
    try {
      auto answer = hooks_.on_challenge(msg);
      if (auto ec = hooks_.send(answer)) {
        return close(std::make_exception_ptr(
            TransportLost("cannot send AUTHENTICATE: " + ec.message())));
      }
      return;
    } catch (const std::exception& e) {
      failure = e.what();
    } catch (...) {
      failure = "the challenge handler failed";
    }
  }
  wamp::dict details{{"message", failure}};
  (void)hooks_.send(wamp::abort{details, wamp::uri(uris::cannot_authenticate)});
  close(std::make_exception_ptr(AbortError(wamp::uri(uris::cannot_authenticate), details)));
}

void session_core::on_error(wamp::error&& msg) {
  auto it = pending_.find(msg.request);
  if (it == pending_.end()) return;
  static constexpr wamp::message_type expected[] = {
      wamp::message_type::call,     wamp::message_type::publish,
      wamp::message_type::subscribe, wamp::message_type::unsubscribe,
      wamp::message_type::register_, wamp::message_type::unregister};
  if (expected[it->second.index()] != msg.request_type) {
    return protocol_violation("ERROR for request " + std::to_string(msg.request) +
                              " names the wrong request type");
  }
  if (auto* r = std::get_if<pending_register>(&it->second);
      r && msg.error_uri == uris::procedure_already_exists && unregistered_after(*r)) {
    // Our own registration of it held the URI: another thread's UNREGISTER of it went out
    // after this REGISTER. Asked again after the UNREGISTER, the REGISTER finds it free.
    const auto request = next_id();
    if (const auto ec = hooks_.send(wamp::register_{request, r->options, r->procedure})) {
      auto failed = std::move(*r);
      pending_.erase(it);
      return failed.handler(std::make_exception_ptr(TransportLost("cannot send REGISTER: " + ec.message())), 0);
    }
    auto again = std::move(it->second);
    std::get<pending_register>(again).sent = ++sends_;
    pending_.erase(it);
    pending_.emplace(request, std::move(again));
    return;
  }
  auto p = std::move(it->second);
  pending_.erase(it);
  if (auto* u = std::get_if<pending_unsubscribe>(&p)) unsubscribing_.erase(u->subscription);
  if (auto* u = std::get_if<pending_unregister>(&p)) forget_unregistering(u->frees, u->sent);
  auto error = make_application_error(msg.error_uri, std::move(msg.args), std::move(msg.kwargs));
  std::visit(overloaded{
                 [&](pending_call& c) { c.handler(call_outcome{error, {}, false}); },
                 [&](pending_publish& c) { c.handler(error, 0); },
                 [&](pending_subscribe& c) { c.handler(error, 0); },
                 [&](pending_unsubscribe& c) { c.handler(error); },
                 [&](pending_register& c) { c.handler(error, 0); },
                 [&](pending_unregister& c) { c.handler(error); },
             },
             p);
}

void session_core::on_result(wamp::result&& msg) {
  auto it = pending_.find(msg.request);
  if (it == pending_.end()) return;
  auto* c = std::get_if<pending_call>(&it->second);
  if (!c) return protocol_violation("RESULT for a request that is not a call");
  const bool progress = is_true(msg.details, "progress");
  if (progress) {
    auto handler = c->handler;  // the handler may cancel (erase) the call
    handler(call_outcome{nullptr, std::move(msg), true});
    return;
  }
  auto handler = std::move(c->handler);
  pending_.erase(it);
  handler(call_outcome{nullptr, std::move(msg), false});
}

void session_core::on_published(const wamp::published& msg) {
  auto it = pending_.find(msg.request);
  if (it == pending_.end()) return;
  auto* p = std::get_if<pending_publish>(&it->second);
  if (!p) return protocol_violation("PUBLISHED for a request that is not a publish");
  auto handler = std::move(p->handler);
  pending_.erase(it);
  handler(nullptr, msg.publication);
}

void session_core::on_subscribed(const wamp::subscribed& msg) {
  auto it = pending_.find(msg.request);
  if (it == pending_.end()) return;
  auto* p = std::get_if<pending_subscribe>(&it->second);
  if (!p) return protocol_violation("SUBSCRIBED for a request that is not a subscribe");
  auto done = std::move(*p);
  pending_.erase(it);
  if (const auto u = unsubscribing_.find(msg.subscription); u != unsubscribing_.end() && u->second > done.sent) {
    // Another thread's UNSUBSCRIBE of the same subscription went out after this SUBSCRIBE:
    // the router will take back what it just gave. Asking again after the UNSUBSCRIBE gets a
    // subscription that lasts.
    const auto request = next_id();
    if (const auto ec = hooks_.send(wamp::subscribe{request, done.options, done.topic})) {
      return done.handler(std::make_exception_ptr(TransportLost("cannot send SUBSCRIBE: " + ec.message())), 0);
    }
    done.sent = ++sends_;
    pending_.emplace(request, std::move(done));
    return;
  }
  const auto key = ++last_key_;
  subscriptions_.emplace(key, local_subscription{msg.subscription, std::move(done.sink)});
  keys_of_subscription_[msg.subscription].insert(key);
  done.handler(nullptr, key);
}

void session_core::unsubscribe(std::uint64_t key, done_handler on_done) {
  auto it = subscriptions_.find(key);
  if (it == subscriptions_.end()) return on_done(nullptr);
  require_established();
  const auto subscription = it->second.subscription;
  auto& keys = keys_of_subscription_[subscription];
  if (keys.size() > 1) {
    keys.erase(key);
    subscriptions_.erase(it);
    return on_done(nullptr);
  }
  const auto request = next_id();
  send_or_throw(wamp::unsubscribe{request, subscription});
  // Events racing with the UNSUBSCRIBE are dropped from now on.
  keys_of_subscription_.erase(subscription);
  subscriptions_.erase(it);
  unsubscribing_[subscription] = ++sends_;
  pending_.emplace(request, pending_unsubscribe{std::move(on_done), subscription});
}

void session_core::on_unsubscribed(const wamp::unsubscribed& msg) {
  if (msg.request == 0) {
    // The router revoked a subscription.
    auto it = msg.details.find("subscription");
    if (it == msg.details.end()) return;
    const auto subscription_id = wamp::as_unsigned(it->second);
    if (!subscription_id) return;
    const auto subscription = *subscription_id;
    const auto keys = keys_of_subscription_.find(subscription);
    if (keys == keys_of_subscription_.end()) return;
    const auto revoked = std::move(keys->second);
    keys_of_subscription_.erase(keys);
    for (auto key : revoked) subscriptions_.erase(key);
    if (hooks_.on_revoked) {
      for (auto key : revoked) hooks_.on_revoked(key);
    }
    return;
  }
  auto it = pending_.find(msg.request);
  if (it == pending_.end()) return;
  auto* p = std::get_if<pending_unsubscribe>(&it->second);
  if (!p) return protocol_violation("UNSUBSCRIBED for a request that is not an unsubscribe");
  auto handler = std::move(p->handler);
  unsubscribing_.erase(p->subscription);
  pending_.erase(it);
  handler(nullptr);
}

void session_core::on_registered(const wamp::registered& msg) {
  auto it = pending_.find(msg.request);
  if (it == pending_.end()) return;
  auto* p = std::get_if<pending_register>(&it->second);
  if (!p) return protocol_violation("REGISTERED for a request that is not a register");
  // Invocations are dispatched by registration id: a second registration under one id would
  // take the first one's invocations (a router gives each registration of a session its own).
  if (key_of_registration_.count(msg.registration)) {
    return protocol_violation("REGISTERED with registration id " + std::to_string(msg.registration) +
                              ", which this session already holds for another registration");
  }
  auto done = std::move(*p);
  pending_.erase(it);
  const auto key = ++last_key_;
  registrations_.emplace(key, local_registration{msg.registration, std::move(done.sink),
                                                 {std::move(done.procedure), match_policy_of(done.options)}});
  key_of_registration_[msg.registration] = key;
  done.handler(nullptr, key);
}

void session_core::unregister(std::uint64_t key, done_handler on_done) {
  auto it = registrations_.find(key);
  if (it == registrations_.end()) return on_done(nullptr);
  require_established();
  const auto registration = it->second.registration;
  const auto request = next_id();
  send_or_throw(wamp::unregister{request, registration});
  key_of_registration_.erase(registration);
  auto frees = std::move(it->second.uri);
  registrations_.erase(it);
  const auto sent = ++sends_;
  unregistering_.emplace(frees, sent);
  pending_.emplace(request, pending_unregister{std::move(on_done), std::move(frees), sent});
}

void session_core::on_unregistered(const wamp::unregistered& msg) {
  if (msg.request == 0) {
    auto it = msg.details.find("registration");
    if (it == msg.details.end()) return;
    const auto registration_id = wamp::as_unsigned(it->second);
    if (!registration_id) return;
    const auto registration = *registration_id;
    if (auto k = key_of_registration_.find(registration); k != key_of_registration_.end()) {
      const auto key = k->second;
      registrations_.erase(key);
      key_of_registration_.erase(k);
      if (hooks_.on_revoked) hooks_.on_revoked(key);
    }
    return;
  }
  auto it = pending_.find(msg.request);
  if (it == pending_.end()) return;
  auto* p = std::get_if<pending_unregister>(&it->second);
  if (!p) return protocol_violation("UNREGISTERED for a request that is not an unregister");
  auto handler = std::move(p->handler);
  forget_unregistering(p->frees, p->sent);
  pending_.erase(it);
  handler(nullptr);
}

void session_core::forget_unregistering(const registered_uri& uri, std::uint64_t sent) {
  const auto [first, last] = unregistering_.equal_range(uri);
  for (auto it = first; it != last; ++it) {
    if (it->second == sent) return (void)unregistering_.erase(it);
  }
}

bool session_core::unregistered_after(const pending_register& r) const {
  const auto [first, last] = unregistering_.equal_range({r.procedure, match_policy_of(r.options)});
  return std::any_of(first, last, [&](const auto& entry) { return entry.second > r.sent; });
}

void session_core::on_event(const wamp::event& msg) {
  auto it = keys_of_subscription_.find(msg.subscription);
  if (it == keys_of_subscription_.end()) return;
  // Copy the sinks: a sink may unsubscribe while we iterate.
  std::vector<event_sink> sinks;
  for (auto key : it->second) sinks.push_back(subscriptions_.at(key).sink);
  for (auto& sink : sinks) sink(msg);
}

void session_core::on_invocation(wamp::invocation&& msg) {
  auto it = key_of_registration_.find(msg.registration);
  if (it == key_of_registration_.end()) {
    (void)hooks_.send(wamp::error{wamp::message_type::invocation, msg.request, {},
                                  wamp::uri(uris::no_such_registration)});
    return;
  }
  if (recent_invocations_.contains(msg.request) || !open_invocations_.insert(msg.request).second) {
    // A repeated INVOCATION (a router bug, or a duplicate on the wire) must not run the
    // handler twice.
    return protocol_violation("INVOCATION reuses request id " + std::to_string(msg.request));
  }
  remember_invocation(msg.request);
  auto sink = registrations_.at(it->second).sink;
  sink(std::move(msg));
}

void session_core::remember_invocation(wamp::id request) {
  recent_invocations_.insert(request);
  recent_invocation_order_.push_back(request);
  if (recent_invocation_order_.size() > recent_invocations_kept) {
    recent_invocations_.erase(recent_invocation_order_.front());
    recent_invocation_order_.pop_front();
  }
}

void session_core::on_interrupt(const wamp::interrupt& msg) { end_invocation(msg.request, uris::canceled); }

void session_core::expire_invocation(wamp::id invocation_request) {
  if (state_ != state::established) return;
  end_invocation(invocation_request, uris::timeout);
}

void session_core::end_invocation(wamp::id invocation_request, std::string_view error_uri) {
  if (open_invocations_.erase(invocation_request) == 0) return;
  (void)hooks_.send(wamp::error{wamp::message_type::invocation, invocation_request, {}, wamp::uri(error_uri)});
  if (hooks_.on_interrupt) hooks_.on_interrupt(invocation_request);
}

wamp::id session_core::call(wamp::uri procedure, wamp::list args, wamp::dict kwargs,
                            wamp::dict options, call_handler on_result) {
  require_established();
  const auto request = next_id();
  send_or_throw(wamp::call{request, std::move(options), std::move(procedure), std::move(args),
                           std::move(kwargs)});
  pending_.emplace(request, pending_call{std::move(on_result)});
  return request;
}

void session_core::cancel(wamp::id call_request, std::string mode,
                          std::exception_ptr complete_with) {
  auto it = pending_.find(call_request);
  if (it == pending_.end() || !std::holds_alternative<pending_call>(it->second)) return;
  if (state_ == state::established && router_cancels()) {
    (void)hooks_.send(wamp::cancel{call_request, {{"mode", mode}}});
  } else if (!complete_with) {
    // A router without call_canceling (fox-wamp) would never answer a CANCEL: the call ends
    // here, and its late answer is dropped.
    complete_with = std::make_exception_ptr(
        ApplicationError(wamp::uri(uris::canceled), wamp::list{"the call was canceled (the router cannot cancel calls)"}));
  }
  if (complete_with) {
    auto handler = std::move(std::get<pending_call>(it->second).handler);
    pending_.erase(it);
    handler(call_outcome{complete_with, {}, false});
  }
}

bool session_core::router_cancels() const {
  const auto roles = welcome_details_.find("roles");
  if (roles == welcome_details_.end() || !roles->second.is_object()) return false;
  const auto dealer = roles->second.find("dealer");
  if (dealer == roles->second.end() || !dealer->is_object()) return false;
  const auto features = dealer->find("features");
  if (features == dealer->end() || !features->is_object()) return false;
  const auto canceling = features->find("call_canceling");
  return canceling != features->end() && *canceling == true;
}

wamp::id session_core::publish(wamp::uri topic, wamp::list args, wamp::dict kwargs,
                               wamp::dict options, publish_handler on_done) {
  require_established();
  const bool acknowledge = is_true(options, "acknowledge");
  const auto request = next_id();
  send_or_throw(wamp::publish{request, std::move(options), std::move(topic), std::move(args),
                              std::move(kwargs)});
  if (acknowledge) {
    pending_.emplace(request, pending_publish{std::move(on_done)});
  } else {
    on_done(nullptr, 0);
  }
  return request;
}

wamp::id session_core::subscribe(wamp::uri topic, wamp::dict options, event_sink sink,
                                 key_handler on_done) {
  require_established();
  const auto request = next_id();
  send_or_throw(wamp::subscribe{request, options, topic});
  pending_.emplace(request, pending_subscribe{std::move(topic), std::move(options), std::move(sink), std::move(on_done), ++sends_});
  return request;
}

wamp::id session_core::register_procedure(wamp::uri procedure, wamp::dict options,
                                          invocation_sink sink, key_handler on_done) {
  require_established();
  const auto request = next_id();
  send_or_throw(wamp::register_{request, options, procedure});
  pending_.emplace(request, pending_register{std::move(procedure), std::move(options), std::move(sink), std::move(on_done), ++sends_});
  return request;
}

void session_core::yield(wamp::id invocation_request, wamp::list args, wamp::dict kwargs,
                         bool progress) {
  if (state_ != state::established || !open_invocations_.contains(invocation_request)) return;
  wamp::dict options;
  if (progress) options["progress"] = true;
  auto ec = hooks_.send(
      wamp::yield{invocation_request, std::move(options), std::move(args), std::move(kwargs)});
  if (wamp::is_encoding_error(ec)) {
    // The caller must still get an answer.
    open_invocations_.erase(invocation_request);
    (void)hooks_.send(wamp::error{wamp::message_type::invocation, invocation_request, {},
                                  wamp::uri(uris::invalid_payload),
                                  wamp::list{"the result cannot be serialized: " + ec.message()}});
    return;
  }
  if (!progress) open_invocations_.erase(invocation_request);
}

void session_core::invocation_error(wamp::id invocation_request, wamp::uri error,
                                    wamp::list args, wamp::dict kwargs) {
  if (state_ != state::established || open_invocations_.erase(invocation_request) == 0) return;
  auto ec = hooks_.send(wamp::error{wamp::message_type::invocation, invocation_request, {},
                                    std::move(error), std::move(args), std::move(kwargs)});
  if (wamp::is_encoding_error(ec)) {
    (void)hooks_.send(wamp::error{wamp::message_type::invocation, invocation_request, {},
                                  wamp::uri(uris::invalid_payload),
                                  wamp::list{"the error cannot be serialized: " + ec.message()}});
  }
}

}  // namespace autobahn_sync

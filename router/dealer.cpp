#include "router/dealer.hpp"

#include <algorithm>
#include <cstdint>

#include "router/realm.hpp"
#include "router/router_core.hpp"
#include "router/uris.hpp"
#include "wamp/seeded_draw.hpp"

namespace autobahn_sync::router {
namespace {

// The lengths of the runs of components between a wildcard pattern's wildcards (its empty
// components): "a1.b2..d4.e5" gives {2, 2}, "a1.b2.c3..e5" {3, 1}. A greater sequence is the
// more specific registration.
std::vector<std::size_t> wildcard_portions(const std::string& pattern) {
  std::vector<std::size_t> portions{0};
  std::size_t start = 0;
  while (true) {
    const auto dot = pattern.find('.', start);
    const auto end = dot == std::string::npos ? pattern.size() : dot;
    if (end == start) {
      portions.push_back(0);  // a wildcard ends the run
    } else {
      ++portions.back();
    }
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return portions;
}

bool option_true(const wamp::dict& options, const char* key) {
  const auto it = options.find(key);
  return it != options.end() && it->second.is_boolean() && it->second.get<bool>();
}

std::string option_string(const wamp::dict& options, const char* key, std::string fallback) {
  const auto it = options.find(key);
  return it != options.end() && it->second.is_string() ? it->second.get<std::string>() : fallback;
}

// 100 years: the longest CALL timeout that gets a deadline.
constexpr std::uint64_t longest_call_timeout_ms = 100ull * 365 * 24 * 60 * 60 * 1000;

bool is_invoke_policy(const std::string& p) {
  return p == "single" || p == "roundrobin" || p == "random" || p == "first" || p == "last";
}

}  // namespace

// ---- registrations ------------------------------------------------------------------------

void dealer::register_procedure(session& s, wamp::register_&& msg) {
  const auto match_text = option_string(msg.options, "match", "exact");
  const auto policy = wamp::parse_match_policy(match_text);
  const auto invoke = option_string(msg.options, "invoke", "single");
  if (!policy || !is_invoke_policy(invoke)) {
    return realm::send_error(s, wamp::message_type::register_, msg.request, uris::invalid_argument,
                             {"options.match must be exact, prefix or wildcard and options.invoke one of "
                              "single, roundrobin, random, first, last"});
  }
  if (!realm_.check_uri(s, wamp::message_type::register_, msg.request, msg.procedure, *policy)) return;
  if (wamp::is_reserved_uri(msg.procedure)) {
    return realm::send_error(s, wamp::message_type::register_, msg.request, uris::invalid_uri,
                             {"the wamp. namespace is reserved for the router: " + msg.procedure});
  }
  if (!realm_.authorize(s, action::register_, msg.procedure).allowed) {
    return realm::send_error(s, wamp::message_type::register_, msg.request, uris::not_authorized,
                             {"not authorized to register " + msg.procedure});
  }
  if (s.registrations.size() >= realm_.core().limits().max_registrations_per_session) {
    realm_.core().log_limit("max_registrations_per_session", s,
                            "REGISTER " + msg.procedure + " refused with " + uris::limit_reached);
    return realm::send_error(s, wamp::message_type::register_, msg.request, uris::limit_reached,
                             {"this session holds as many registrations as the router allows"});
  }
  auto& slot = by_key_[{*policy, msg.procedure}];
  bool created = false;
  if (!slot) {
    slot = std::make_unique<registration_record>();
    slot->id = realm_.core().new_global_id();
    slot->uri = msg.procedure;
    slot->match = *policy;
    slot->invoke = invoke;
    slot->created = realm_.core().wall_iso8601();
    by_id_[slot->id] = slot.get();
    created = true;
  } else if (slot->invoke == "single" ||
             std::find(slot->callees.begin(), slot->callees.end(), s.id) != slot->callees.end()) {
    return realm::send_error(s, wamp::message_type::register_, msg.request, uris::procedure_already_exists,
                             {"a procedure " + msg.procedure + " is registered already"});
  } else if (slot->invoke != invoke) {
    return realm::send_error(s, wamp::message_type::register_, msg.request,
                             uris::procedure_exists_with_different_invocation_policy,
                             {msg.procedure + " is registered with the invocation policy " + slot->invoke + ", not " + invoke});
  }
  registration_record& reg = *slot;
  reg.callees.push_back(s.id);
  s.registrations.insert(reg.id);
  s.send(wamp::registered{msg.request, reg.id});
  if (created) {
    realm_.the_broker().publish_internal(
        "wamp.registration.on_create",
        {s.id, wamp::value(wamp::dict{{"id", reg.id}, {"uri", reg.uri}, {"match", wamp::to_string(reg.match)},
                                      {"invoke", reg.invoke}, {"created", reg.created}})});
  }
  realm_.the_broker().publish_internal("wamp.registration.on_register", {s.id, reg.id});
}

void dealer::unregister(session& s, const wamp::unregister& msg) {
  const auto it = by_id_.find(msg.registration);
  if (it == by_id_.end() ||
      std::find(it->second->callees.begin(), it->second->callees.end(), s.id) == it->second->callees.end()) {
    return realm::send_error(s, wamp::message_type::unregister, msg.request, uris::no_such_registration,
                             {"no registration " + std::to_string(msg.registration)});
  }
  registration_record& reg = *it->second;
  const wamp::id id = reg.id;
  reg.callees.erase(std::find(reg.callees.begin(), reg.callees.end(), s.id));
  s.registrations.erase(id);
  s.send(wamp::unregistered{msg.request, {}});
  realm_.the_broker().publish_internal("wamp.registration.on_unregister", {s.id, id});
  if (reg.callees.empty()) {
    by_id_.erase(id);
    by_key_.erase({reg.match, reg.uri});
    realm_.the_broker().publish_internal("wamp.registration.on_delete", {s.id, id});
  }
}

const registration_record* dealer::find(wamp::id id) const {
  const auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

const registration_record* dealer::lookup(const std::string& uri, wamp::match_policy match) const {
  const auto it = by_key_.find({match, uri});
  return it == by_key_.end() ? nullptr : it->second.get();
}

const registration_record* dealer::best_match(const std::string& procedure) const {
  return const_cast<dealer*>(this)->best_match_mutable(procedure);
}

registration_record* dealer::best_match_mutable(const std::string& procedure) {
  if (const auto it = by_key_.find({wamp::match_policy::exact, procedure}); it != by_key_.end())
    return it->second.get();
  registration_record* best = nullptr;
  // The longest matching prefix wins; then the first wildcard (in URI order) that matches.
  for (auto it = by_key_.lower_bound({wamp::match_policy::prefix, ""});
       it != by_key_.end() && it->first.first == wamp::match_policy::prefix; ++it) {
    if (wamp::uri_matches(it->first.second, wamp::match_policy::prefix, procedure) &&
        (!best || it->first.second.size() > best->uri.size()))
      best = it->second.get();
  }
  if (best) return best;
  // Of the wildcard registrations that match, the specification's precedence: the longest
  // run of components before the first wildcard, then before the second, and so on.
  std::vector<std::size_t> best_portions;
  for (auto it = by_key_.lower_bound({wamp::match_policy::wildcard, ""}); it != by_key_.end(); ++it) {
    if (!wamp::uri_matches(it->first.second, wamp::match_policy::wildcard, procedure)) continue;
    auto portions = wildcard_portions(it->first.second);
    if (!best || portions > best_portions) {
      best = it->second.get();
      best_portions = std::move(portions);
    }
  }
  return best;
}

std::vector<const registration_record*> dealer::all() const {
  std::vector<const registration_record*> out;
  for (const auto& [k, r] : by_key_) out.push_back(r.get());
  return out;
}

// ---- calls --------------------------------------------------------------------------------

void dealer::call(session& s, wamp::call&& msg) {
  if (!realm_.check_uri(s, wamp::message_type::call, msg.request, msg.procedure, wamp::match_policy::exact)) return;
  const auto verdict = realm_.authorize(s, action::call, msg.procedure);
  if (!verdict.allowed) {
    return realm::send_error(s, wamp::message_type::call, msg.request, uris::not_authorized,
                             {"not authorized to call " + msg.procedure});
  }
  if (option_true(msg.options, "progress")) {
    // Progressive call invocations, which this router does not announce: the specification
    // makes such a CALL a protocol violation (forwarding the first chunk as a whole call
    // would run the callee on part of its input).
    return realm_.core().abort_session(s, uris::protocol_violation,
                                       "CALL.Options.progress: this router does not support progressive call invocations");
  }
  if (by_caller_.count({s.id, msg.request})) {
    return realm_.core().abort_session(s, uris::protocol_violation,
                                       "CALL request id " + std::to_string(msg.request) + " is in use");
  }
  // The router's own procedures come first: a pattern registration (prefix "", say) must not
  // take over wamp.session.get or wamp.session.kill.
  if (wamp::is_reserved_uri(msg.procedure) && realm_.call_meta(s, msg)) return;
  registration_record* reg = best_match_mutable(msg.procedure);
  if (!reg) {
    return realm::send_error(s, wamp::message_type::call, msg.request, uris::no_such_procedure,
                             {"no procedure " + msg.procedure});
  }
  // Pick the callee by the registration's invocation policy.
  std::size_t index = 0;
  const std::size_t n = reg->callees.size();
  if (reg->invoke == "roundrobin") {
    index = reg->next++ % n;
  } else if (reg->invoke == "random") {
    index = static_cast<std::size_t>(wamp::draw(realm_.core().rng(), 0, n - 1));
  } else if (reg->invoke == "last") {
    index = n - 1;
  }
  session* callee = realm_.core().find_session(reg->callees[index]);
  if (!callee) {
    return realm::send_error(s, wamp::message_type::call, msg.request, uris::no_eligible_callee, {});
  }
  const auto& limits = realm_.core().limits();
  const auto waiting = pending_per_caller_.find(s.id);
  if (waiting != pending_per_caller_.end() && waiting->second >= limits.max_pending_calls_per_session) {
    realm_.core().log_limit("max_pending_calls_per_session", s,
                            "CALL " + msg.procedure + " refused with " + uris::limit_reached);
    return realm::send_error(s, wamp::message_type::call, msg.request, uris::limit_reached,
                             {"this session has as many calls waiting for results as the router allows"});
  }
  auto& outstanding = pending_per_callee_[callee->id];
  if (outstanding >= limits.max_pending_invocations_per_callee) {
    realm_.core().log_limit("max_pending_invocations_per_callee", s,
                            "CALL " + msg.procedure + " refused with " + uris::unavailable + ": callee session " +
                                std::to_string(callee->id) + " has " + std::to_string(outstanding) +
                                " invocations outstanding");
    return realm::send_error(s, wamp::message_type::call, msg.request, uris::unavailable,
                             {"the callee has too many calls outstanding"});
  }
  ++outstanding;
  ++pending_per_caller_[s.id];

  pending_call pending;
  pending.caller = s.id;
  pending.caller_request = msg.request;
  pending.callee = callee->id;
  pending.invocation = callee->invocation_ids.next();
  // The spec would also require the callee's call_canceling, but AutobahnJS callees stream
  // progressive results without announcing it, and Crossbar.io serves them: so do we.
  pending.progress = option_true(msg.options, "receive_progress") &&
                     callee->has_feature("callee", "progressive_call_results");

  wamp::dict details;
  if (option_true(msg.options, "disclose_me") || verdict.disclose_caller) {
    details["caller"] = s.id;
    details["caller_authid"] = s.authid;
    details["caller_authrole"] = s.authrole;
  }
  if (reg->match != wamp::match_policy::exact) details["procedure"] = msg.procedure;
  if (pending.progress) details["receive_progress"] = true;
  const auto timeout = msg.options.find("timeout");
  if (timeout != msg.options.end()) {
    const auto ms = wamp::as_unsigned(timeout->second);
    // Longer timeouts would overflow the clock's nanoseconds: no deadline, which is what they mean.
    if (ms && *ms > 0 && *ms <= longest_call_timeout_ms) {
      pending.timeout = std::chrono::milliseconds(*ms);
      pending.deadline = realm_.core().now() + pending.timeout;
    }
  }

  const call_key key = next_key_++;
  by_caller_[{pending.caller, pending.caller_request}] = key;
  by_callee_[{pending.callee, pending.invocation}] = key;
  if (pending.deadline) deadlines_.emplace(*pending.deadline, key);
  const wamp::id invocation_id = pending.invocation;
  calls_.emplace(key, std::move(pending));
  callee->send(wamp::invocation{invocation_id, reg->id, std::move(details), std::move(msg.args), std::move(msg.kwargs)});
}

void dealer::finish(call_key key) {
  const auto it = calls_.find(key);
  if (it == calls_.end()) return;
  by_caller_.erase({it->second.caller, it->second.caller_request});
  by_callee_.erase({it->second.callee, it->second.invocation});
  if (const auto n = pending_per_callee_.find(it->second.callee); n != pending_per_callee_.end() && --n->second == 0)
    pending_per_callee_.erase(n);
  if (const auto n = pending_per_caller_.find(it->second.caller); n != pending_per_caller_.end() && --n->second == 0)
    pending_per_caller_.erase(n);
  drop_deadline(key, it->second);
  calls_.erase(it);
}

void dealer::drop_deadline(call_key key, pending_call& call) {
  if (!call.deadline) return;
  auto [first, last] = deadlines_.equal_range(*call.deadline);
  for (auto d = first; d != last; ++d) {
    if (d->second == key) {
      deadlines_.erase(d);
      break;
    }
  }
  call.deadline.reset();
}

void dealer::interrupt(const pending_call& call, const char* mode) {
  session* callee = realm_.core().find_session(call.callee);
  if (callee && callee->has_feature("callee", "call_canceling"))
    callee->send(wamp::interrupt{call.invocation, {{"mode", mode}}});
}

void dealer::yield(session& s, wamp::yield&& msg) {
  const auto k = by_callee_.find({s.id, msg.request});
  if (k == by_callee_.end()) return;  // the call was canceled or timed out meanwhile
  const call_key key = k->second;
  pending_call& call = calls_.at(key);
  const bool progress = option_true(msg.options, "progress");
  session* caller = realm_.core().find_session(call.caller);
  if (progress) {
    // Progressive results reach only a caller that asked for them.
    if (call.progress && caller && !call.interrupted) {
      const auto undelivered = caller->undelivered;
      caller->send(wamp::result{call.caller_request, {{"progress", true}}, std::move(msg.args), std::move(msg.kwargs)});
      if (caller->undelivered != undelivered) {
        // It could not go (too big for the caller's transport), and the caller was sent an
        // ERROR instead: the call is over, the callee stops and what it yields next is dropped.
        interrupt(call, "killnowait");
        return finish(key);
      }
      // With progressive results the timeout bounds the wait for each result, not the whole
      // call (the spec's "Timeouts" of progressive call results).
      if (call.deadline) {
        drop_deadline(key, call);
        call.deadline = realm_.core().now() + call.timeout;
        deadlines_.emplace(*call.deadline, key);
      }
    }
    return;
  }
  if (caller) {
    if (call.interrupted) {
      realm::send_error(*caller, wamp::message_type::call, call.caller_request, uris::canceled, {"the call was canceled"});
    } else {
      caller->send(wamp::result{call.caller_request, {}, std::move(msg.args), std::move(msg.kwargs)});
    }
  }
  finish(key);
}

void dealer::invocation_error(session& s, wamp::error&& msg) {
  const auto k = by_callee_.find({s.id, msg.request});
  if (k == by_callee_.end()) return;
  const call_key key = k->second;
  const pending_call& call = calls_.at(key);
  if (session* caller = realm_.core().find_session(call.caller)) {
    caller->send(wamp::error{wamp::message_type::call, call.caller_request, std::move(msg.details),
                             std::move(msg.error_uri), std::move(msg.args), std::move(msg.kwargs)});
  }
  finish(key);
}

void dealer::cancel(session& s, const wamp::cancel& msg) {
  const auto k = by_caller_.find({s.id, msg.request});
  if (k == by_caller_.end()) return;  // answered already
  const call_key key = k->second;
  pending_call& call = calls_.at(key);
  std::string mode = option_string(msg.options, "mode", "kill");
  if (mode != "skip" && mode != "kill" && mode != "killnowait") {
    // An ERROR for the call ends it for the caller, so it ends here too (the callee's answer
    // would otherwise come as a second one), and the callee is told to stop.
    interrupt(call, "killnowait");
    realm::send_error(s, wamp::message_type::call, msg.request, uris::invalid_argument,
                      {"CANCEL mode must be skip, kill or killnowait"});
    return finish(key);
  }
  session* callee = realm_.core().find_session(call.callee);
  if (!callee || !callee->has_feature("callee", "call_canceling")) mode = "skip";
  if (mode == "kill") {
    if (!call.interrupted) {
      call.interrupted = true;
      interrupt(call, "kill");
    }
    return;  // the callee's answer ends the call
  }
  if (mode == "killnowait") interrupt(call, "killnowait");
  realm::send_error(s, wamp::message_type::call, msg.request, uris::canceled, {"the call was canceled"});
  finish(key);
}

void dealer::remove_session(session& s) {
  // Calls it made: the callees are told (when they can be), the results will be dropped.
  // Calls it was serving: their callers get an error now.
  std::vector<call_key> ended;
  for (const auto& [key, call] : calls_) {
    if (call.caller == s.id) {
      if (call.callee != s.id) interrupt(call, "killnowait");
      ended.push_back(key);
    } else if (call.callee == s.id) {
      if (session* caller = realm_.core().find_session(call.caller)) {
        realm::send_error(*caller, wamp::message_type::call, call.caller_request, uris::canceled,
                          {"the callee left before it answered"});
      }
      ended.push_back(key);
    }
  }
  for (const call_key key : ended) finish(key);

  // The same meta events as an UNREGISTER's, as for subscriptions (broker::remove_session,
  // which realm::leave runs first: the leaving session hears none of them).
  const auto registrations = std::move(s.registrations);
  s.registrations.clear();
  for (const wamp::id id : registrations) {
    const auto it = by_id_.find(id);
    if (it == by_id_.end()) continue;
    registration_record& reg = *it->second;
    reg.callees.erase(std::remove(reg.callees.begin(), reg.callees.end(), s.id), reg.callees.end());
    realm_.the_broker().publish_internal("wamp.registration.on_unregister", {s.id, id});
    if (reg.callees.empty()) {
      by_id_.erase(it);
      by_key_.erase({reg.match, reg.uri});
      realm_.the_broker().publish_internal("wamp.registration.on_delete", {s.id, id});
    }
  }
}

void dealer::expire(time_point now) {
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    const call_key key = deadlines_.begin()->second;
    deadlines_.erase(deadlines_.begin());
    const auto it = calls_.find(key);
    if (it == calls_.end()) continue;
    it->second.deadline.reset();
    interrupt(it->second, "killnowait");
    if (session* caller = realm_.core().find_session(it->second.caller)) {
      realm::send_error(*caller, wamp::message_type::call, it->second.caller_request, uris::timeout,
                        {"the call timed out"});
    }
    finish(key);
  }
}

std::optional<dealer::time_point> dealer::next_deadline() const {
  if (deadlines_.empty()) return std::nullopt;
  return deadlines_.begin()->first;
}

}  // namespace autobahn_sync::router

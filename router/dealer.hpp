// The dealer of one realm: registrations (exact, prefix, wildcard; single or shared with an
// invocation policy) and call routing, with caller disclosure, progressive results, call
// canceling (skip, kill, killnowait) and call timeouts on the router's clock.
// Sans-I/O: it answers through the sessions' sinks; timeouts fire from expire().
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "router/session.hpp"
#include "wamp/uri.hpp"

namespace autobahn_sync::router {

class realm;

struct registration_record {
  wamp::id id = 0;
  std::string uri;
  wamp::match_policy match = wamp::match_policy::exact;
  std::string invoke = "single";  // single, roundrobin, random, first, last
  std::vector<wamp::id> callees;
  std::size_t next = 0;  // roundrobin position
  std::string created;  // when, as the meta API says it: ISO 8601 in UTC (wall_iso8601)
};

class dealer {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  explicit dealer(realm& owner) : realm_(owner) {}

  void register_procedure(session& s, wamp::register_&& msg);
  void unregister(session& s, const wamp::unregister& msg);
  void call(session& s, wamp::call&& msg);
  void cancel(session& s, const wamp::cancel& msg);
  void yield(session& s, wamp::yield&& msg);
  void invocation_error(session& s, wamp::error&& msg);
  /// A leaving session: its registrations go, its pending calls end.
  void remove_session(session& s);
  /// Ends the calls whose timeout passed.
  void expire(time_point now);
  std::optional<time_point> next_deadline() const;

  std::size_t registration_count() const noexcept { return by_id_.size(); }
  std::size_t pending_call_count() const noexcept { return calls_.size(); }
  const registration_record* find(wamp::id id) const;
  const registration_record* lookup(const std::string& uri, wamp::match_policy match) const;
  /// The registration a call to `procedure` goes to (exact, then longest prefix, then wildcard).
  const registration_record* best_match(const std::string& procedure) const;
  std::vector<const registration_record*> all() const;

 private:
  struct pending_call {
    wamp::id caller = 0;
    wamp::id caller_request = 0;
    wamp::id callee = 0;
    wamp::id invocation = 0;
    bool progress = false;          // the caller asked for progressive results
    bool interrupted = false;       // kill mode: waiting for the callee's answer
    std::optional<time_point> deadline;
    // CALL.Options.timeout; with progressive results it runs anew from each one.
    std::chrono::milliseconds timeout{0};
  };
  using call_key = std::uint64_t;

  void finish(call_key key);
  void drop_deadline(call_key key, pending_call& call);
  void interrupt(const pending_call& call, const char* mode);
  registration_record* best_match_mutable(const std::string& procedure);

  realm& realm_;
  std::map<std::pair<wamp::match_policy, std::string>, std::unique_ptr<registration_record>> by_key_;
  std::unordered_map<wamp::id, registration_record*> by_id_;
  std::unordered_map<call_key, pending_call> calls_;
  std::map<std::pair<wamp::id, wamp::id>, call_key> by_caller_;  // (caller, request)
  std::map<std::pair<wamp::id, wamp::id>, call_key> by_callee_;  // (callee, invocation)
  std::multimap<time_point, call_key> deadlines_;
  std::unordered_map<wamp::id, std::size_t> pending_per_callee_;
  std::unordered_map<wamp::id, std::size_t> pending_per_caller_;
  call_key next_key_ = 1;
};

}  // namespace autobahn_sync::router

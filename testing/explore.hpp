// `explore`: runs a scenario once to learn its message sequence, then once more per message x
// fault kind (drop, transport loss before, transport loss after, delay past the timeout,
// duplicate), each time on a fresh fixture with one rule keyed to that message, and checks
// invariants after every run. It reports each failing point with the rule that made it fail
// and the run's trace.
//
//   auto report = testing::explore([](testing::wamp_fixture& f) {
//     f.session("callee").register_procedure("com.example.add", add);
//     try { f.session("caller").call("com.example.add", {1, 2}); }
//     catch (const autobahn_sync::Error&) {}   // faults may make the call fail: that is fine
//   });
//   CHECK(report.ok());
//   INFO(report.describe());
//
// The scenario may throw autobahn_sync::Error (a fault may make any WAMP step fail); any other
// exception counts as a failure of that point. Invariants checked after each run:
// - the scenario returned (its blocking calls end: the fixture's clients have short timeouts);
// - no CALL got more final answers (RESULT or ERROR) than times it reached the router (a CALL
//   a rule injected counts, a duplicated one twice); a CALL whose CANCEL (skip or killnowait,
//   as a timed-out call sends) reached the router too got one, unless its session's connection
//   went; no request id was used twice by one session for the same kind of request;
// - no EVENT for a subscription the session does not hold or already ended, none twice;
// - no watched handler (wamp_fixture::watched_handler) started after its client left;
// - after the clients stopped, nothing is left in the router: no session, registration,
//   subscription or pending call.
//
// "Delay past the timeout" holds the message and releases it once the clients' timeout and
// half as much again passed since it was held (on the fixture's virtual clock when it has
// one, else on real time): whoever waited for it has given up (a call ended with
// wamp.error.timeout), and the message arrives late (a RESULT after the CANCEL, a YIELD, an
// EVENT, a CALL the caller gave up on). A run whose scenario returned before the release waits
// for it, with the clients still running, before they stop.
//
// Runs are real by default (threads and loopback/in-process connections), so a drop costs one
// client timeout (explore_options::timeout) of wall time, a delay up to one and a half; with
// fixture.simulation they run on virtual time and cost none.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "testing/wamp_fixture.hpp"

namespace autobahn_sync::testing {

enum class explore_fault { drop, close_before, close_after, delay_past_timeout, duplicate };
std::string_view to_string(explore_fault f) noexcept;

struct explore_options {
  fixture_options fixture;
  std::vector<explore_fault> faults = {explore_fault::drop, explore_fault::close_before,
                                       explore_fault::close_after, explore_fault::delay_past_timeout,
                                       explore_fault::duplicate};
  /// Call, join and leave timeout of the fixture's clients: how long a dropped message blocks
  /// (a delayed one is released after 1.5 times this).
  std::chrono::milliseconds timeout = std::chrono::milliseconds(300);
  /// Extra invariants checked after each run, with the run's fixture (clients stopped);
  /// return a description of what is wrong, or "" when all is well.
  std::function<std::string(wamp_fixture&)> invariant;
};

/// One point that broke an invariant.
struct explore_failure {
  std::string point;   // e.g. "drop of caller to_router CALL #1 (message 5 of 12)"
  std::string what;    // the broken invariant
  std::string trace;   // the run's message trace
};

struct explore_report {
  std::size_t messages = 0;  // in the learning run
  std::size_t runs = 0;      // faulted runs made
  /// With fixture.simulation: the seed every run used (describe() says how to replay it).
  std::uint64_t seed = 0;
  std::vector<explore_failure> failures;

  bool ok() const noexcept { return failures.empty(); }
  /// Every failure: point, invariant, trace (the first only, to stay readable).
  std::string describe() const;
};

using explore_scenario = std::function<void(wamp_fixture&)>;

/// Learns the scenario's messages, then runs it once per message x fault kind.
explore_report explore(const explore_scenario& scenario, explore_options options = {});

/// The default invariants on a finished run's trace: one answer per CALL, unique request ids;
/// EVENTs only for subscriptions the router confirmed and has not ended (by UNSUBSCRIBED or a
/// new HELLO of the session), each publication at most once per subscription; no watched
/// handler started after its client's stop() or leave() returned (the lines noted
/// note_handler_after_leave). Messages a rule made (answers, injections) do not count, nor do
/// the lines of handler starts. Returns "" when they hold.
std::string check_trace_invariants(const std::vector<trace_entry>& trace);

}  // namespace autobahn_sync::testing

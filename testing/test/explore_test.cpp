// explore: every message of a scenario x every fault kind, with invariants after each run.
#include "testing/explore.hpp"

#include <atomic>

#include <future>
#include <set>

#include <catch2/catch.hpp>

#include "testing/recorder.hpp"

namespace wamp = autobahn_sync::wamp;
namespace testing = autobahn_sync::testing;
using namespace autobahn_sync;

namespace {

// Appends a line of session "s" to a hand-made trace, numbered after the last.
void add_line(std::vector<testing::trace_entry>& trace, testing::direction d, wamp::message m, std::string note) {
  testing::trace_entry e;
  e.sequence = trace.size() + 1;
  e.session = "s";
  e.dir = d;
  e.msg = std::move(m);
  e.note = std::move(note);
  trace.push_back(std::move(e));
}

// Register, call, subscribe, publish: tolerant of any WAMP failure a fault causes.
void small_workload(testing::wamp_fixture& f, std::atomic<int>* charges = nullptr) {
  // Watched: the trace invariants check that no handler starts after its client stopped.
  f.session("callee").register_procedure(
      "com.example.charge",
      f.watched_procedure("callee", [charges](const wamp::list& args, const wamp::dict&, const invocation_details&) {
        if (charges) ++*charges;
        return call_result{args};
      }));
  try {
    f.session("caller").call("com.example.charge", {10});
  } catch (const Error&) {
  }
  try {
    auto sub = f.session("caller").subscribe("com.example.charged", f.watched_handler("caller", [](auto&&...) {}));
    f.session("callee").publish("com.example.charged", {10}, {}, publish_options{.acknowledge = true});
  } catch (const Error&) {
  }
}

}  // namespace

TEST_CASE("explore runs a scenario once per message and fault kind; a sound system passes", "[explore]") {
  // Also an application invariant: a charge happens at most once, even when the CALL is
  // duplicated on the wire (the router refuses a request id that is in flight).
  std::atomic<int> charges{0};
  testing::explore_options options;
  options.invariant = [&](testing::wamp_fixture&) -> std::string {
    const int n = charges.exchange(0);
    return n > 1 ? "charged " + std::to_string(n) + " times" : "";
  };
  const auto report = testing::explore([&](testing::wamp_fixture& f) { small_workload(f, &charges); }, options);
  INFO(report.describe());
  CHECK(report.ok());
  CHECK(report.messages >= 12);  // 2 joins, REGISTER, CALL, INVOCATION, YIELD, RESULT, ...
  CHECK(report.runs == report.messages * 5);  // drop, loss before, loss after, delay, duplicate
}

TEST_CASE("explore reports the point where an application invariant breaks", "[explore]") {
  // The (wrong) belief under test: an acknowledged publication always reaches the subscriber.
  // WAMP delivers events at most once, so losing the EVENT must show up.
  testing::explore_options options;
  options.faults = {testing::explore_fault::drop};
  bool acknowledged = false, received = false;
  options.invariant = [&](testing::wamp_fixture&) -> std::string {
    const bool broken = acknowledged && !received;
    acknowledged = received = false;
    return broken ? "an acknowledged event never arrived" : "";
  };
  const auto report = testing::explore(
      [&](testing::wamp_fixture& f) {
        // Shared with the handler: a duplicated EVENT may still be delivered after this
        // scenario returned.
        auto events = std::make_shared<testing::event_recorder>();
        auto sub = f.session("reader").subscribe(
            "com.example.news",
            [events](const wamp::list& a, const wamp::dict& k, const event_details& d) { events->handler()(a, k, d); });
        f.session("writer").publish("com.example.news", {"hello"}, {}, publish_options{.acknowledge = true});
        acknowledged = true;
        // Generous: only the run where the EVENT is lost waits this long.
        received = events->wait_for(1, std::chrono::seconds(3));
      },
      options);
  INFO(report.describe());
  REQUIRE(report.failures.size() == 1);
  CHECK(report.failures.at(0).point.rfind("drop of reader to_client EVENT #1", 0) == 0);
  CHECK(report.failures.at(0).what == "an acknowledged event never arrived");
  CHECK(report.failures.at(0).trace.find("EVENT") != std::string::npos);
}

TEST_CASE("a simulated exploration runs every point on one seed and says how to replay it", "[explore]") {
  testing::explore_options options;
  options.fixture.simulation = true;  // seed 0: resolved once (WAMP_SIM_SEED, --rng-seed or random)
  options.faults = {testing::explore_fault::drop};
  std::set<std::uint64_t> seeds;
  options.invariant = [&](testing::wamp_fixture& f) -> std::string {
    seeds.insert(f.seed());
    return seeds.size() == 1 && f.trace().entries().size() > 0 ? "a failure, to see the report" : "";
  };
  const auto report = testing::explore(
      [](testing::wamp_fixture& f) {
        try {
          f.session("caller").publish("com.example.t", {1}, {}, publish_options{.acknowledge = true});
        } catch (const Error&) {
        }
      },
      options);
  REQUIRE(report.seed != 0);
  CHECK(seeds == std::set<std::uint64_t>{report.seed});
  REQUIRE_FALSE(report.ok());
  CHECK_THAT(report.describe(), Catch::Contains("simulated with seed " + std::to_string(report.seed)) &&
                                    Catch::Contains("WAMP_SIM_SEED=" + std::to_string(report.seed)));
}

TEST_CASE("delay past the timeout: the call ends once, with the timeout error, and the late RESULT is ignored",
          "[explore]") {
  testing::explore_options options;
  options.fixture.simulation = true;  // virtual time: a delay costs no wall time, and runs replay
  options.faults = {testing::explore_fault::delay_past_timeout};
  std::vector<std::string> outcomes;  // of the run's two calls, in order
  int late_results = 0;
  options.invariant = [&](testing::wamp_fixture& f) -> std::string {
    const auto outcome = std::exchange(outcomes, {});
    const auto late = f.trace().select([](const testing::trace_entry& e) {
      return e.type() == wamp::message_type::result && e.session == "caller" && e.note == "released";
    });
    if (outcome.size() != 2) return "the calls ended " + std::to_string(outcome.size()) + " times, not 2";
    if (late.empty() || std::get<wamp::result>(late[0].msg).request != 1) return "";
    ++late_results;
    // The late RESULT of the 1st call arrived between the calls: the 1st call had timed out,
    // and the client ignored the RESULT (the 2nd call got its own answer, nobody aborted).
    if (outcome != std::vector<std::string>{"wamp.error.timeout", "3"})
      return "outcomes " + outcome[0] + ", " + outcome[1];
    if (!f.trace().of_type(wamp::message_type::abort).empty()) return "the late RESULT ended the session";
    return "";
  };
  const auto report = testing::explore(
      [&](testing::wamp_fixture& f) {
        try {
          f.session("callee").register_procedure("com.example.add", [](const wamp::list& a, const wamp::dict&,
                                                                       const invocation_details&) {
            return call_result{{a.at(0).get<int>() + a.at(1).get<int>()}};
          });
        } catch (const Error&) {
          // a delayed HELLO or REGISTERED: the calls then fail, but still end once each
        }
        for (int i = 0; i < 2; ++i) {
          try {
            outcomes.push_back(f.session("caller").call("com.example.add", {1, 2}).value().dump());
          } catch (const ApplicationError& e) {
            outcomes.push_back(e.error());
          } catch (const Error& e) {
            outcomes.push_back(e.what());
          }
          // Lets virtual time run past the delay, so a delayed answer arrives before the next call.
          if (i == 0) f.advance(std::chrono::seconds(1));
        }
      },
      options);
  INFO(report.describe());
  CHECK(report.ok());
  CHECK(report.runs == report.messages);
  CHECK(late_results == 1);  // the run that delayed the 1st RESULT
}

TEST_CASE("the trace invariants catch an answer to a call never made, and a reused request id", "[explore]") {
  std::vector<testing::trace_entry> trace;
  auto add = [&](testing::direction d, wamp::message m, std::string note = {}) {
    add_line(trace, d, std::move(m), std::move(note));
  };
  add(testing::direction::to_router, wamp::call{1, {}, "com.p"});
  add(testing::direction::to_client, wamp::result{1});
  CHECK(testing::check_trace_invariants(trace).empty());
  // Delayed by a link rule, a CALL still reached the router; delayed, an answer still came
  // from the router and counts.
  add(testing::direction::to_router, wamp::call{2, {}, "com.p"});
  trace.back().note = "latency 100ms";
  add(testing::direction::to_client, wamp::result{2});
  CHECK(testing::check_trace_invariants(trace).empty());
  add(testing::direction::to_client, wamp::result{2});
  trace.back().note = "sliced into 3 pieces of <= 8 bytes";
  CHECK(testing::check_trace_invariants(trace).find("more answers to CALL 2") != std::string::npos);
  trace.resize(2);
  add(testing::direction::to_client, wamp::result{1});
  CHECK(testing::check_trace_invariants(trace).find("more answers") != std::string::npos);
  trace.pop_back();
  add(testing::direction::to_client, wamp::result{7});
  CHECK(testing::check_trace_invariants(trace).find("never called") != std::string::npos);
  trace.pop_back();
  add(testing::direction::to_router, wamp::call{1, {}, "com.p"});
  CHECK(testing::check_trace_invariants(trace).find("reused request id 1") != std::string::npos);
}

TEST_CASE("the trace invariants count CALLs a rule injected, and catch a canceled CALL the router swallowed", "[explore]") {
  std::vector<testing::trace_entry> trace;
  auto add = [&](testing::direction d, wamp::message m, std::string note = {}) {
    add_line(trace, d, std::move(m), std::move(note));
  };
  // A CALL a rule put in, and one a rule sent beside the message it injected: both reached it.
  add(testing::direction::to_router, wamp::call{1, {}, "com.p"}, "injected");
  add(testing::direction::to_router, wamp::call{2, {}, "com.p"}, "inject_after");
  add(testing::direction::to_client, wamp::result{1});
  add(testing::direction::to_client, wamp::result{2});
  CHECK(testing::check_trace_invariants(trace).empty());
  // A timed-out call's CANCEL reached the router, which never answered.
  add(testing::direction::to_router, wamp::call{3, {}, "com.p"});
  add(testing::direction::to_router, wamp::cancel{3, {{"mode", "killnowait"}}});
  CHECK_THAT(testing::check_trace_invariants(trace),
             Catch::Contains("#6 s: the router received CALL 3 and its CANCEL, and never answered it"));
  // Answered, even if a rule then dropped the answer: the router did its part.
  add(testing::direction::to_client, wamp::error{wamp::message_type::call, 3, {}, "wamp.error.canceled"}, "drop");
  CHECK(testing::check_trace_invariants(trace).empty());
  trace.pop_back();
  // Its connection went: nothing more could come.
  add(testing::direction::to_router, wamp::goodbye{{}, "wamp.close.normal"}, "close_before");
  CHECK(testing::check_trace_invariants(trace).empty());
  trace.pop_back();
  // A kill-mode CANCEL waits for the callee, which may never answer.
  trace.back().msg = wamp::cancel{3, {{"mode", "kill"}}};
  CHECK(testing::check_trace_invariants(trace).empty());
}

TEST_CASE("the trace invariants catch a handler that started after its client left", "[explore]") {
  std::vector<testing::trace_entry> trace;
  auto add = [&](wamp::message m, std::string_view note) {
    add_line(trace, testing::direction::to_client, std::move(m), std::string(note));
  };
  add(wamp::subscribed{1, 50}, "");
  add(wamp::event{50, 900}, "");
  add(wamp::event{0, 900}, testing::note_handler_started);  // not a second delivery of 900
  CHECK(testing::check_trace_invariants(trace).empty());
  add(wamp::invocation{7, 0}, testing::note_handler_after_leave);
  CHECK(testing::check_trace_invariants(trace) ==
        "#4 s: a handler started after its client left (its stop() or leave() had returned), for INVOCATION\n");
}

TEST_CASE("the trace invariants catch an EVENT after UNSUBSCRIBED, one never subscribed, and one twice", "[explore]") {
  std::vector<testing::trace_entry> trace;
  auto add = [&](testing::direction d, wamp::message m, std::string note = {}) {
    add_line(trace, d, std::move(m), std::move(note));
  };
  const auto to_router = testing::direction::to_router;
  const auto to_client = testing::direction::to_client;
  add(to_router, wamp::subscribe{1, {}, "com.t"});
  add(to_client, wamp::subscribed{1, 50});
  add(to_client, wamp::event{50, 900});
  add(to_client, wamp::event{50, 900}, "injected");  // a rule's doing, not the router's
  CHECK(testing::check_trace_invariants(trace).empty());
  add(to_client, wamp::event{50, 900});
  CHECK(testing::check_trace_invariants(trace).find("publication 900 twice") != std::string::npos);
  trace.pop_back();
  add(to_client, wamp::event{51, 901});
  CHECK(testing::check_trace_invariants(trace).find("does not hold") != std::string::npos);
  trace.pop_back();
  add(to_router, wamp::unsubscribe{2, 50});
  add(to_client, wamp::unsubscribed{2});
  CHECK(testing::check_trace_invariants(trace).empty());
  add(to_client, wamp::event{50, 902});
  CHECK(testing::check_trace_invariants(trace).find("after its UNSUBSCRIBED") != std::string::npos);
  trace.pop_back();
  // A new session under the same name starts with no subscriptions.
  add(to_router, wamp::subscribe{3, {}, "com.t"});
  add(to_client, wamp::subscribed{3, 50});
  add(to_router, wamp::hello{"realm1", {}});
  add(to_client, wamp::event{50, 903});
  CHECK(testing::check_trace_invariants(trace).find("does not hold") != std::string::npos);
}

// Not in fixture_test, which repeats every case 200 times: this one waits out a deadline.
TEST_CASE("a client whose handler never returns is reported when the fixture stops it, not waited for forever",
          "[integration]") {
  testing::fixture_options options;
  options.client.leave_timeout = std::chrono::milliseconds(100);
  options.stop_timeout = std::chrono::milliseconds(300);
  std::promise<void> release;
  auto released = release.get_future().share();
  testing::recorder<std::string> reports;
  options.on_stop_stuck = [&](const std::string& report) {
    reports.add(report);
    release.set_value();  // a real stuck handler would stay: the default aborts the process
  };
  testing::wamp_fixture f(options);
  testing::recorder<bool> started;
  f.session("callee").register_procedure("com.example.stuck", [&, released](auto&&...) {
    started.add(true);
    released.wait_for(std::chrono::seconds(30));  // bounded, should stop() stop waiting for handlers
    return autobahn_sync::call_result{};
  });
  auto call = std::async(std::launch::async, [&] {
    try {
      f.session("caller").call("com.example.stuck");
    } catch (const autobahn_sync::Error&) {
    }
  });
  REQUIRE(started.wait_for(1));
  f.stop_clients();
  call.get();
  REQUIRE(reports.size() == 1);
  CHECK_THAT(reports.items()[0], Catch::StartsWith("wamp_fixture: client 'callee' did not stop within 500 ms") &&
                                     Catch::Contains("INVOCATION"));
}


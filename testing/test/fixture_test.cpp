// The fixture end to end: real clients, the embedded router, faults keyed to protocol
// events, the trace, and the teardown's leak check.
#include "testing/wamp_fixture.hpp"

#include <pthread.h>

#include <future>
#include <latch>
#include <memory>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "testing/eventually.hpp"
#include "testing/explore.hpp"
#include "testing/matchers.hpp"
#include "testing/recorder.hpp"

namespace wamp = autobahn_sync::wamp;
namespace testing = autobahn_sync::testing;
using autobahn_sync::call_result;
using testing::match;
using wamp::message_type;
namespace fault = testing::fault;

namespace {

autobahn_sync::procedure_handler adder() {
  return [](const wamp::list& args, const wamp::dict&, const autobahn_sync::invocation_details&) {
    return call_result{{args.at(0).get<int>() + args.at(1).get<int>()}};
  };
}

}  // namespace

TEST_CASE_METHOD(testing::wamp_fixture, "a realm and two clients in a few lines", "[integration]") {
  session("callee").register_procedure("com.example.add", adder());
  CHECK(session("caller").call("com.example.add", {2, 3}).value() == 5);
  // The trace saw the invocation reach the callee.
  const auto invocations = trace().of_type(message_type::invocation, testing::direction::to_client, "callee");
  REQUIRE(invocations.size() == 1);
  CHECK(std::get<wamp::invocation>(invocations[0].msg).args == wamp::list{2, 3});
}

TEST_CASE_METHOD(testing::wamp_fixture, "waiting for events with a recorder", "[integration]") {
  testing::event_recorder events;
  auto sub = session("listener").subscribe("com.example.tick", events.handler());
  for (int i = 0; i < 3; ++i) session("talker").publish("com.example.tick", {i});
  REQUIRE(events.wait_for(3));
  const auto got = events.items();
  CHECK(got[2].args == wamp::list{2});
  CHECK(got[0].details.topic == "com.example.tick");
}

TEST_CASE_METHOD(testing::wamp_fixture, "events after a local recorder is gone are dropped, not written into it",
                 "[integration]") {
  // The subscription outlives the recorder (the fixture stops its clients after the body):
  // EVENTs still on their way then reach a handler whose recorder is gone.
  autobahn_sync::event_handler handler;
  {
    testing::event_recorder events;
    handler = events.handler();
    session("listener").subscribe("com.example.late", handler);
    session("talker").publish("com.example.late", {1});
    REQUIRE(events.wait_for(1));
  }
  handler({2}, {}, {});  // what an EVENT arriving now does: nothing (ASan would report a write)
  session("talker").publish("com.example.late", {3}, {}, autobahn_sync::publish_options{.acknowledge = true});
}

TEST_CASE_METHOD(testing::wamp_fixture, "a rule answers the 2nd CALL with a chosen ERROR", "[integration]") {
  session("callee").register_procedure("com.example.add", adder());
  auto rule = faults().install(match().type(message_type::call).session("caller").nth(2),
                               fault::answer_error("com.example.overloaded", {"try later"}));
  auto& caller = session("caller");
  CHECK(caller.call("com.example.add", {1, 1}).value() == 2);
  REQUIRE_THROWS_MATCHES(caller.call("com.example.add", {1, 1}), autobahn_sync::ApplicationError,
                         testing::has_error_uri("com.example.overloaded"));
  CHECK(caller.call("com.example.add", {1, 1}).value() == 2);
  CHECK(rule.hits() == 1);
}

TEST_CASE_METHOD(testing::wamp_fixture, "a rule aborts the HELLO of one session", "[integration]") {
  auto rule = faults().install(match().type(message_type::hello).session("intruder"),
                               fault::abort_hello("wamp.error.not_authorized"));
  REQUIRE_THROWS_MATCHES(client("intruder"), autobahn_sync::AbortError,
                         testing::has_abort_reason("wamp.error.not_authorized"));
  client("friend");  // others join as usual
}

TEST_CASE_METHOD(testing::wamp_fixture, "losing the transport right after a CALL fails the waiting caller at once",
                 "[integration]") {
  session("callee").register_procedure("com.example.add", adder());
  auto rule = faults().install(match().type(message_type::call).session("caller"), fault::close_after());
  auto& caller = session("caller");
  CHECK_THROWS_AS(caller.call("com.example.add", {1, 2}), autobahn_sync::TransportLost);
}

TEST_CASE_METHOD(testing::wamp_fixture, "an error from a handler reaches the caller with its URI and payload",
                 "[integration]") {
  session("callee").register_procedure("com.example.fail", [](const wamp::list&, const wamp::dict&,
                                                              const autobahn_sync::invocation_details&) -> call_result {
    throw autobahn_sync::ApplicationError("com.example.bad_input", {"nope"}, {{"field", "x"}});
  });
  try {
    session("caller").call("com.example.fail");
    FAIL("the call should have thrown");
  } catch (const autobahn_sync::ApplicationError& e) {
    CHECK(e.error() == "com.example.bad_input");
    CHECK(e.args() == wamp::list{"nope"});
    CHECK(e.kwargs().at("field") == "x");
  }
}

TEST_CASE("the teardown finds unfired rules and what sessions left behind", "[integration]") {
  testing::wamp_fixture f;
  auto rule = f.faults().install(match().type(message_type::publish), fault::drop(), "drop publishes");
  f.session("a").register_procedure("com.example.p", adder());
  // While the client runs, its registration is live; the rule never fired.
  const auto while_running = f.leaks(std::chrono::milliseconds(0));
  CHECK(std::find(while_running.begin(), while_running.end(), "1 registration(s) left") != while_running.end());
  CHECK(std::find(while_running.begin(), while_running.end(), "fault rule never fired: drop publishes") !=
        while_running.end());
  f.stop_clients();
  const auto after = f.leaks();
  CHECK(after == std::vector<std::string>{"fault rule never fired: drop publishes"});
  rule.optional();
  CHECK(f.leaks().empty());
}

TEST_CASE("the same scenario with each serializer, and without serialization", "[integration]") {
  testing::fixture_options options;
  options.serializer = GENERATE(&wamp::json_serializer(), &wamp::msgpack_serializer(),
                                static_cast<const wamp::serializer*>(nullptr));
  testing::wamp_fixture f(options);
  f.session("callee").register_procedure("com.example.echo", [](const wamp::list& args, const wamp::dict& kwargs,
                                                                 const autobahn_sync::invocation_details&) {
    return call_result{args, kwargs};
  });
  const auto r = f.session("caller").call("com.example.echo", {"x", wamp::value::binary({0, 255})}, {{"k", 1.5}});
  CHECK(r.args == wamp::list{"x", wamp::value::binary({0, 255})});
  CHECK(r.kwargs.at("k") == 1.5);
}

TEST_CASE_METHOD(testing::wamp_fixture, "scripted authentication: a chosen CHALLENGE, then AUTHENTICATE rejected",
                 "[integration]") {
  auto challenge = faults().install(match().type(message_type::hello).session("visitor"),
                                    fault::challenge("ticket", {{"hint", "badge"}}));
  auto reject = faults().install(match().type(message_type::authenticate).session("visitor"),
                                 fault::reject_authenticate());
  wamp::dict seen_extra;
  auto setup = [&](autobahn_sync::AutobahnSync& app) {
    app.on_challenge([&](const wamp::challenge& c) {
      seen_extra = c.extra;
      return wamp::authenticate{"my-badge", {}};
    });
  };
  REQUIRE_THROWS_MATCHES(client("visitor", {}, setup), autobahn_sync::AbortError,
                         testing::has_abort_reason("wamp.error.authentication_failed"));
  CHECK(seen_extra.at("hint") == "badge");
  const auto answers = trace().of_type(message_type::authenticate, testing::direction::to_router, "visitor");
  REQUIRE(answers.size() == 1);
  CHECK(std::get<wamp::authenticate>(answers[0].msg).signature == "my-badge");
}

TEST_CASE_METHOD(testing::wamp_fixture, "deny one action: the 2nd SUBSCRIBE is not authorized, the others are",
                 "[integration]") {
  auto deny = faults().install(match().type(message_type::subscribe).session("s").nth(2), fault::deny());
  auto& s = session("s");
  auto first = s.subscribe("com.example.a", [](auto&&...) {});
  CHECK_THROWS_AS(s.subscribe("com.example.b", [](auto&&...) {}), autobahn_sync::NotAuthorized);
  auto third = s.subscribe("com.example.c", [](auto&&...) {});
  CHECK(deny.hits() == 1);
}

TEST_CASE("the leak check names a thread started during the test that still runs, and forgets it once joined",
          "[integration]") {
  testing::wamp_fixture f;
  f.session("a").publish("com.example.t");
  f.stop_clients();  // a client of the fixture that still runs has threads too
  std::latch release(1);
  std::thread leaky([&] { release.wait(); });
  pthread_setname_np(leaky.native_handle(), "leaky-worker");
  // A thread outside the fixture's control (started during the test, still running).
  const auto while_running = f.leaked_threads(std::chrono::milliseconds(0));
  release.count_down();
  leaky.join();
  REQUIRE(while_running.size() == 1);
  CHECK_THAT(while_running[0], Catch::Contains("1 thread(s) started during the test still run") &&
                                   Catch::Contains("'leaky-worker'"));
  // Joined: gone, or listed a moment longer as exiting, which does not count.
  CHECK(f.leaked_threads(std::chrono::milliseconds(0)).empty());
}

TEST_CASE("threads asking for a client at once share one; a client's setup may ask for another, not for itself",
          "[integration]") {
  testing::wamp_fixture f;
  f.client("callee", {}, [](autobahn_sync::AutobahnSync& c) { c.register_procedure("com.example.add", adder()); });
  constexpr int askers = 8;
  std::latch start(askers);
  std::vector<std::future<std::pair<autobahn_sync::AutobahnSync*, int>>> answers;
  for (int i = 0; i < askers; ++i) {
    answers.push_back(std::async(std::launch::async, [&f, &start, i] {
      start.arrive_and_wait();
      auto& shared = f.client("shared");
      return std::pair{&shared, shared.session().call("com.example.add", {i, 1}).value().get<int>()};
    }));
  }
  autobahn_sync::AutobahnSync* first = nullptr;
  for (int i = 0; i < askers; ++i) {
    const auto [client, sum] = answers[i].get();
    CHECK(sum == i + 1);
    if (!first) first = client;
    CHECK(client == first);
  }
  CHECK(f.the_router().connection_count() == 2);  // the callee and one "shared"

  f.client("outer", {}, [&f](autobahn_sync::AutobahnSync&) { f.client("inner"); });
  CHECK(f.the_router().connection_count() == 4);
  CHECK_THROWS_AS(f.client("self", {}, [&f](autobahn_sync::AutobahnSync&) { f.client("self"); }), std::logic_error);
  CHECK(f.the_router().connection_count() == 4);
}

TEST_CASE("a client stopped by its test leaves no thread behind", "[integration]") {
  testing::wamp_fixture f;
  auto own = std::make_unique<autobahn_sync::AutobahnSync>(std::vector<std::string>{}, f.options_for("own"));
  autobahn_sync::run_options run;
  run.url = "inprocess://own";
  run.realm = f.realm_name();
  run.blocking = false;
  own->run(run);
  own->session().publish("com.example.t");
  CHECK_FALSE(f.leaked_threads(std::chrono::milliseconds(0)).empty());  // its I/O and handler threads
  own->stop();
  own.reset();
  CHECK(f.leaked_threads(std::chrono::milliseconds(0)).empty());
}

// The teardown itself fails the test: Catch2 counts this test as passed only if it failed.
TEST_CASE("the teardown fails a test that leaves a thread running", "[integration][!shouldfail]") {
  std::latch release(1);
  std::thread leaky;
  {
    testing::fixture_options options;
    options.teardown_settle = std::chrono::milliseconds(0);  // it will not end: no need to wait
    testing::wamp_fixture f(options);
    leaky = std::thread([&] { release.wait(); });
  }
  release.count_down();
  leaky.join();
}

TEST_CASE("a watched handler that starts after its client stopped is reported", "[integration]") {
  testing::wamp_fixture f;
  testing::event_recorder events;
  const auto handler = f.watched_handler("reader", events.handler());
  auto sub = f.session("reader").subscribe("com.example.news", handler);
  f.session("writer").publish("com.example.news", {1}, {}, autobahn_sync::publish_options{.acknowledge = true});
  REQUIRE(events.wait_for(1));
  CHECK(testing::check_trace_invariants(f.trace().entries()).empty());
  f.stop_clients();
  // What a client that ran a queued handler after stop() returned would do.
  handler({2}, {}, autobahn_sync::event_details{});
  const auto started = f.trace().select([](const testing::trace_entry& e) { return testing::is_handler_note(e.note); });
  REQUIRE(started.size() == 2);
  CHECK(started[0].note == testing::note_handler_started);
  CHECK(started[1].note == testing::note_handler_after_leave);
  CHECK_THAT(testing::check_trace_invariants(f.trace().entries()),
             Catch::Contains("reader: a handler started after its client left"));
  f.check_leaks(false);  // the teardown would report it too
}

// A client bug the invariant found: events queued behind a busy handler still started after
// SyncSession::leave() returned. Queued handlers of a session that ended no longer start.
TEST_CASE("events queued behind a busy handler do not start after leave() returned", "[integration]") {
  testing::wamp_fixture f;
  std::latch busy(1), release(1);
  std::atomic<int> runs{0};
  auto sub = f.session("reader").subscribe("com.example.news", f.watched_handler("reader", [&](auto&&...) {
    if (runs++ == 0) {
      busy.count_down();
      release.wait();
    }
  }));
  for (int i = 0; i < 5; ++i)
    f.session("writer").publish("com.example.news", {i}, {}, autobahn_sync::publish_options{.acknowledge = true});
  busy.wait();
  // A round trip of the reader: its answer comes after the EVENTs on its connection, so they
  // reached the client (and wait behind the busy handler) before it leaves.
  CHECK_THROWS(f.session("reader").call("com.example.nothing"));
  f.leave("reader");
  release.count_down();
  f.stop_clients();  // joins the handler thread: whatever was going to start has started
  INFO(f.trace().format());
  CHECK(runs.load() == 1);
  CHECK(testing::check_trace_invariants(f.trace().entries()).empty());
}

TEST_CASE("invocations queued behind a busy handler do not start after leave() returned", "[integration]") {
  testing::wamp_fixture f;
  std::latch busy(1), release(1);
  std::atomic<int> runs{0};
  auto reg = f.session("callee").register_procedure(
      "com.example.work", f.watched_procedure("callee", [&](const wamp::list&, const wamp::dict&,
                                                             const autobahn_sync::invocation_details&) {
        if (runs++ == 0) {
          busy.count_down();
          release.wait();
        }
        return call_result{};
      }));
  std::vector<std::thread> callers;
  std::atomic<int> failed{0};
  for (int i = 0; i < 3; ++i) {
    auto& caller = f.session("caller" + std::to_string(i));  // the fixture hands out clients on this thread
    callers.emplace_back([&failed, session = &caller] {
      try {
        session->call("com.example.work");
      } catch (const std::exception&) {
        ++failed;
      }
    });
  }
  busy.wait();
  // Once the router holds all three calls, the callee's round trip comes after the other two
  // INVOCATIONs on its connection: they wait behind the busy handler when it leaves.
  REQUIRE(testing::eventually([&] {
    return f.the_router().with_core([&](autobahn_sync::router::router_core& core) {
      return core.find_realm(f.realm_name())->the_dealer().pending_call_count() == 3;
    });
  }));
  CHECK_THROWS(f.session("callee").call("com.example.nothing"));
  f.leave("callee");
  release.count_down();
  for (auto& t : callers) t.join();
  f.stop_clients();
  INFO(f.trace().format());
  CHECK(runs.load() == 1);
  CHECK(failed.load() == 3);  // the callee left: every call ends with an error
  CHECK(testing::check_trace_invariants(f.trace().entries()).empty());
}

// Virtual time: the router's and the clients' timeouts run on the fixture's manual clock, so
// an hour-long timeout is tested in milliseconds: if the clock were real, these tests would
// hit the suite's time limit.
#include <future>
#include <thread>

#include <catch2/catch.hpp>

#include "testing/eventually.hpp"
#include "testing/matchers.hpp"
#include "testing/wamp_fixture.hpp"

namespace wamp = autobahn_sync::wamp;
namespace testing = autobahn_sync::testing;
namespace router = autobahn_sync::router;
using namespace autobahn_sync;
using namespace std::chrono_literals;
using testing::match;
namespace fault = testing::fault;

namespace {

testing::fixture_options virtual_time(std::chrono::milliseconds call_timeout) {
  testing::fixture_options o;
  o.virtual_time = true;
  o.client.call_timeout = call_timeout;
  return o;
}

procedure_handler echo() {
  return [](const wamp::list& args, const wamp::dict&, const invocation_details&) { return call_result{args}; };
}

// Runs `f` once `ready()` holds (bounded: a broken precondition fails the test, never hangs).
std::thread when(std::function<bool()> ready, std::function<void()> f) {
  return std::thread([ready = std::move(ready), f = std::move(f)] {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!ready() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    f();
  });
}

}  // namespace

TEST_CASE("a one-hour call timeout expires when the clock is advanced by an hour", "[virtual-time]") {
  testing::wamp_fixture f(virtual_time(1h));
  f.session("callee").register_procedure("com.app.stalled", echo());
  // The callee never sees the INVOCATION: a stalled callee.
  auto stall = f.faults().install(match().type(wamp::message_type::invocation), fault::hold());
  auto& caller = f.session("caller");
  auto advance = when([&] { return stall.held() == 1; }, [&] { f.advance(1h); });
  CHECK_THROWS_MATCHES(caller.call("com.app.stalled"), ApplicationError, testing::has_error_uri("wamp.error.timeout"));
  advance.join();
  // The client cancels the call at the router (sent right after the timeout fired); the
  // trace's time is virtual.
  std::vector<testing::trace_entry> cancels;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (cancels.empty() && std::chrono::steady_clock::now() < deadline) {
    cancels = f.trace().of_type(wamp::message_type::cancel, testing::direction::to_router, "caller");
    std::this_thread::yield();
  }
  REQUIRE(cancels.size() == 1);
  CHECK(cancels[0].time >= 1h);
  stall.remove();  // lets the held INVOCATION go; its late YIELD is dropped by the router
}

TEST_CASE("the router's own call timeout runs on the virtual clock", "[virtual-time]") {
  testing::wamp_fixture f(virtual_time(1h));
  f.session("callee").register_procedure("com.app.stalled", echo());
  auto stall = f.faults().install(match().type(wamp::message_type::invocation), fault::hold());
  auto& caller = f.session("caller");
  call_options o;
  o.router_timeout = 5s;  // CALL.Options.timeout: the dealer cancels after 5 s
  auto advance = when([&] { return stall.held() == 1; }, [&] { f.advance(5s); });
  CHECK_THROWS_MATCHES(caller.call("com.app.stalled", {}, {}, o), ApplicationError,
                       testing::has_error_uri("wamp.error.timeout"));
  advance.join();
  // The router, not the client, ended it: the caller never sent CANCEL.
  CHECK(f.trace().of_type(wamp::message_type::cancel).empty());
  stall.remove();
}

TEST_CASE("a session that never says HELLO is dropped after the router's join timeout", "[virtual-time]") {
  testing::wamp_fixture f(virtual_time(1h));
  f.check_leaks(false);
  auto silent = f.faults().install(match().type(wamp::message_type::hello).session("silent"), fault::drop());
  // The router's join timeout (30 s) ends the connection long before the client's own (1 h).
  auto advance = when([&] { return silent.hits() == 1; }, [&] { f.advance(30s); });
  CHECK_THROWS_AS(f.client("silent"), Error);
  advance.join();
  // The client may see the ABORT before the router's end of the connection has finished
  // closing (its close is queued on the router's strand after the ABORT was sent).
  CHECK(testing::eventually([&] { return f.the_router().connection_count() == 0; }));
}

TEST_CASE("an hour of reconnect backoff passes with advance(1h)", "[virtual-time]") {
  auto options = virtual_time(10s);
  // The steps of time below must not expire the router's wait for the new HELLO either.
  options.limits.join_timeout = 24h;
  testing::wamp_fixture f(options);
  f.session("callee").register_procedure("com.app.echo", echo());
  auto& app = f.client("flaky", {}, [](AutobahnSync& a) {
    a.options().reconnect.enabled = true;
    a.options().reconnect.initial_delay = 1h;
    a.options().join_timeout = 24h;  // the steps below must not expire the rejoin
  });
  const auto first = app.session().id();
  // The router kills the session; the client waits a (virtual) hour before it reconnects.
  f.the_router().with_core([&](router::router_core& core) { return core.kill(first, "wamp.close.killed", ""); });
  auto joined_again = [&] { return app.session().is_joined() && app.session().id() != first; };
  auto hellos = [&] { return f.trace().of_type(wamp::message_type::hello, testing::direction::to_router, "flaky"); };
  // The client schedules its reconnect once it noticed the loss, which this thread cannot
  // observe: move time in 10-minute steps until the second HELLO leaves.
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (hellos().size() < 2 && std::chrono::steady_clock::now() < deadline) {
    f.advance(10min);
    std::this_thread::yield();
  }
  const auto again = hellos();
  REQUIRE(again.size() == 2);
  CHECK(again[1].time >= 1h);  // not before the hour of backoff (the kill was at virtual time 0)
  while (!joined_again() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  REQUIRE(joined_again());
  CHECK(app.session().call("com.app.echo", {"back"}).value() == "back");
}

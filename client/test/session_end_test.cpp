// How sessions end and what waiting callers see: transport loss (at every protocol step),
// stop(), leave(), the router's GOODBYE or shutdown, and a message a client never receives.
#include "client/autobahn_sync.hpp"

#include <future>
#include <thread>

#include <catch2/catch.hpp>

#include "client/test/handlers.hpp"
#include "client/test/trace_messages.hpp"
#include "testing/eventually.hpp"
#include "testing/recorder.hpp"
#include "testing/wamp_fixture.hpp"

using namespace autobahn_sync;
using namespace std::chrono_literals;
namespace w = autobahn_sync::wamp;
namespace testing = autobahn_sync::testing;
namespace fault = autobahn_sync::testing::fault;
using test::echo;
using test::sent_by;

namespace {

testing::match calls_of(const std::string& session) {
  return testing::match().type(w::message_type::call).session(session);
}

}  // namespace

TEST_CASE_METHOD(testing::wamp_fixture, "transport loss wakes a waiting call with TransportLost", "[client]") {
  auto cut = faults().install(calls_of("app"), fault::close_before());
  auto& app = client("app");
  CHECK_THROWS_AS(app.session().call("com.x"), TransportLost);
  CHECK_FALSE(app.session().is_joined());
  CHECK_THROWS_AS(app.session().call("com.x"), TransportLost);
  CHECK_THROWS_AS(app.session().publish("com.t"), TransportLost);
  app.stop();
}

TEST_CASE_METHOD(testing::wamp_fixture, "stop wakes every waiting caller with NotRunningError", "[client]") {
  auto never_answered = faults().install(calls_of("app"), fault::drop());
  auto& app = client("app");
  auto& s = app.session();
  constexpr int n = 4;
  std::vector<std::future<bool>> results;
  for (int i = 0; i < n; ++i) {
    results.push_back(std::async(std::launch::async, [&s] {
      try {
        s.call("com.never");
      } catch (const NotRunningError&) {
        return true;
      } catch (...) {
      }
      return false;
    }));
  }
  REQUIRE(testing::eventually([&] { return never_answered.hits() == n; }));
  app.stop();
  for (auto& r : results) {
    REQUIRE(r.wait_for(10s) == std::future_status::ready);
    CHECK(r.get());
  }
  CHECK_THROWS_AS(s.call("com.x"), NotRunningError);
}

TEST_CASE_METHOD(testing::wamp_fixture, "the router's GOODBYE fails pending calls with TransportLost", "[client]") {
  auto goodbye = faults().install(calls_of("app"), fault::answer([](const w::message&) -> w::message {
                                    return w::goodbye{{{"message", "maintenance"}}, "wamp.close.system_shutdown"};
                                  }));
  CHECK_THROWS_AS(session("app").call("com.x"), TransportLost);
  REQUIRE(testing::eventually([&] { return !sent_by<w::goodbye>(*this, "app").empty(); }));
  CHECK(sent_by<w::goodbye>(*this, "app").at(0).reason == "wamp.close.goodbye_and_out");
}

TEST_CASE_METHOD(testing::wamp_fixture, "leave says GOODBYE; later calls throw TransportLost", "[client]") {
  auto& s = session("app");
  s.leave();
  CHECK(sent_by<w::goodbye>(*this, "app").at(0).reason == "wamp.close.normal");
  CHECK_FALSE(s.is_joined());
  CHECK_THROWS_AS(s.call("com.x"), TransportLost);
}

TEST_CASE_METHOD(testing::wamp_fixture, "a router message a client never receives is a ProtocolError", "[client]") {
  auto reflect = faults().install(calls_of("app"), fault::answer([](const w::message& m) -> w::message {
                                    return w::call{std::get<w::call>(m).request, {}, "com.reflected"};
                                  }));
  CHECK_THROWS_AS(session("app").call("com.x"), ProtocolError);
  REQUIRE(testing::eventually([&] { return !sent_by<w::abort>(*this, "app").empty(); }));
  CHECK(sent_by<w::abort>(*this, "app").at(0).reason == "wamp.error.protocol_violation");
}

TEST_CASE_METHOD(testing::wamp_fixture, "a router shutdown wakes callers with TransportLost", "[client]") {
  auto& callee = client("callee");
  testing::recorder<bool> started;
  callee.register_procedure("com.app.hang", [&](const w::list&, const w::dict&, const invocation_details& d) {
    started.add(true);
    // Hang guard only: the shutdown ends the session at once.
    testing::eventually([&] { return d.canceled() || !callee.session().is_joined(); });
    return call_result{};
  });
  auto& caller = session("caller");
  auto result = std::async(std::launch::async, [&] {
    try {
      caller.call("com.app.hang");
    } catch (const TransportLost&) {
      return true;
    } catch (...) {
    }
    return false;
  });
  REQUIRE(started.wait_for(1));
  the_router().with_core([](router::router_core& core) {
    core.shutdown("wamp.close.system_shutdown");
    return 0;
  });
  REQUIRE(result.wait_for(10s) == std::future_status::ready);
  CHECK(result.get());
}

TEST_CASE("transport loss at every protocol step: every call returns or throws TransportLost", "[client][faults]") {
  // The scenario sends HELLO, REGISTER, SUBSCRIBE, CALL, YIELD, PUBLISH, GOODBYE; the
  // transport drops at the k-th client message (k = 8: never). Nothing may hang or time out.
  for (std::size_t k = 1; k <= 8; ++k) {
    CAPTURE(k);
    testing::wamp_fixture f;
    auto cut = f.faults().install(testing::match().to_router().session("app").nth(k), fault::close_before()).optional();
    client_options o;
    o.call_timeout = 5s;
    o.join_timeout = 5s;
    o.leave_timeout = 1s;
    AutobahnSync app({}, f.options_for("app", o));
    app.register_procedure("com.echo", echo);
    app.subscribe("com.t", [](auto&, auto&, auto&) {});
    std::vector<std::string> outcomes;
    auto attempt = [&](const char* what, auto&& step) {
      try {
        step();
        outcomes.push_back(std::string(what) + ":ok");
      } catch (const TransportLost&) {
        outcomes.push_back(std::string(what) + ":lost");
      } catch (const std::exception& e) {
        outcomes.push_back(std::string(what) + ":unexpected " + e.what());
      }
    };
    bool running = false;
    attempt("run", [&] {
      app.run();
      running = true;
    });
    if (running) {
      attempt("call", [&] {
        if (app.session().call("com.echo", {1}).value() != 1) throw std::logic_error("bad result");
      });
      attempt("publish", [&] { app.session().publish("com.t", {}, {}, publish_options{.acknowledge = true}); });
      const auto before = std::chrono::steady_clock::now();
      app.stop();
      CHECK(std::chrono::steady_clock::now() - before < 3s);
    }
    for (auto& outcome : outcomes) {
      CAPTURE(outcome);
      CHECK(outcome.find("unexpected") == std::string::npos);
    }
    if (k == 8) CHECK(outcomes == std::vector<std::string>{"run:ok", "call:ok", "publish:ok"});
    CHECK((cut.hits() == 1) == (k < 8));
  }
}

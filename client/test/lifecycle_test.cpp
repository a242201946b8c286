// The blocking client's life cycle against the fixture's router: run and stop, the realm and
// the session they expose, run(blocking=true), run_in_io_context, the default instance, a
// failed connect.
#include "client/autobahn_sync.hpp"

#include <atomic>
#include <future>
#include <mutex>
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
using test::received_by;
using test::sent_by;

TEST_CASE("run joins the realm and session() exposes the session", "[client]") {
  testing::fixture_options options;
  options.realm.name = "realm7";
  testing::wamp_fixture f(options);
  AutobahnSync app({}, f.options_for("app"));
  CHECK_FALSE(app.running());
  CHECK_THROWS_AS(app.session(), NotRunningError);
  app.run("ws://fake/ws", "realm7");
  CHECK(app.running());
  CHECK(app.session().is_joined());
  const auto welcome = received_by<w::welcome>(f, "app");
  REQUIRE(welcome.size() == 1);
  CHECK(app.session().id() == welcome[0].session);
  CHECK(app.session().welcome_details() == welcome[0].details);
  CHECK(app.session().welcome_details().at("authrole") == "anonymous");
  const auto hello = sent_by<w::hello>(f, "app");
  REQUIRE(hello.size() == 1);
  CHECK(hello[0].realm == "realm7");
  app.stop();
  CHECK_FALSE(app.running());
  CHECK_THROWS_AS(app.session(), NotRunningError);
  CHECK(sent_by<w::goodbye>(f, "app").size() == 1);
}

TEST_CASE_METHOD(testing::wamp_fixture, "run defaults to realm1", "[client]") {
  AutobahnSync app({}, options_for("app"));
  app.run();
  CHECK(sent_by<w::hello>(*this, "app").at(0).realm == "realm1");
  app.stop();
}

TEST_CASE_METHOD(testing::wamp_fixture, "run twice is AlreadyRunningError, stop twice NotRunningError",
                 "[client]") {
  AutobahnSync app({}, options_for("app"));
  CHECK_THROWS_AS(app.stop(), NotRunningError);
  app.run();
  CHECK_THROWS_AS(app.run(), AlreadyRunningError);
  app.stop();
  CHECK_THROWS_AS(app.stop(), NotRunningError);
  // A stopped client can run again.
  app.run();
  CHECK(app.session().is_joined());
  app.stop();
  CHECK(sent_by<w::hello>(*this, "app").size() == 2);
}

TEST_CASE_METHOD(testing::wamp_fixture, "a session reference from a previous run stays valid", "[client]") {
  AutobahnSync app({}, options_for("app"));
  app.run();
  SyncSession& old = app.session();
  app.stop();
  app.run();
  CHECK_THROWS_AS(old.call("com.x"), NotRunningError);
  CHECK(app.session().is_joined());
  app.stop();
}

TEST_CASE("a failed connect is ConnectionRefusedError", "[client]") {
  client_options o;
  o.connect = [](boost::asio::any_io_executor ex, const std::string&, w::connect_handler done) {
    boost::asio::post(ex, [done] { done(boost::asio::error::connection_refused, nullptr); });
  };
  AutobahnSync app({}, o);
  CHECK_THROWS_AS(app.run(), ConnectionRefusedError);
  CHECK_FALSE(app.running());
}

TEST_CASE_METHOD(testing::wamp_fixture,
                 "run(blocking=true) runs callback and handlers on the calling thread and returns after stop",
                 "[client][threads]") {
  AutobahnSync app({}, options_for("app"));
  const auto me = std::this_thread::get_id();
  std::thread::id callback_thread, handler_thread;
  app.register_procedure("com.stop", [&](const w::list&, const w::dict&, const invocation_details&) {
    handler_thread = std::this_thread::get_id();
    app.stop();
    return call_result{};
  });
  app.register_procedure("com.echo2", [](const w::list&, const w::dict&, const invocation_details&) {
    return call_result{{1}};
  });
  testing::recorder<bool> nested_call_worked;
  testing::recorder<bool> ready;
  run_options ro;
  ro.blocking = true;
  ro.callback = [&] {
    callback_thread = std::this_thread::get_id();
    // The callback runs on the runner: a blocking call from here must still work.
    nested_call_worked.add(!app.session().call("com.echo2", {}).args.empty());
    ready.add(true);
  };
  std::thread caller([&] {
    // Wait until the session is up, then trigger the handler that stops the client.
    if (!ready.wait_for(1)) return;
    try {
      app.session().call("com.stop");
    } catch (...) {
    }
  });
  app.run(ro);
  caller.join();
  REQUIRE(nested_call_worked.size() == 1);
  CHECK(nested_call_worked.items()[0]);
  CHECK(callback_thread == me);
  CHECK(handler_thread == me);
  CHECK_FALSE(app.running());
}

TEST_CASE_METHOD(testing::wamp_fixture,
                 "stop() from another thread returns after run(blocking=true) is done with the client",
                 "[client][threads]") {
  // So that the client may be destroyed as soon as stop() returns, while the thread of
  // run(blocking=true) is still on its way out.
  auto app = std::make_unique<AutobahnSync>(std::vector<std::string>{}, options_for("app"));
  testing::recorder<bool> joined, handler_entered, release_handler, stop_returned;
  std::atomic<bool> handler_finished{false};
  app->register_procedure("com.hold", [&](const w::list&, const w::dict&, const invocation_details&) {
    handler_entered.add(true);
    release_handler.wait_for(1);
    handler_finished = true;
    return call_result{};
  });
  run_options ro;
  ro.blocking = true;
  ro.callback = [&] { joined.add(true); };
  std::thread runner([&] { app->run(ro); });
  std::thread caller([&] {
    if (!joined.wait_for(1)) return;
    try {
      app->session().call("com.hold");
    } catch (const Error&) {
      // stopped under it
    }
  });
  REQUIRE(handler_entered.wait_for(1));
  bool finished_when_stopped = false;
  std::thread stopper([&] {
    app->stop();
    finished_when_stopped = handler_finished.load();
    app.reset();  // at once (under ASan: nothing of it is used after this)
    stop_returned.add(true);
  });
  // The handler holds run() on its thread: stop() waits for it (a bounded wait for something
  // that must not happen).
  CHECK_FALSE(stop_returned.wait_for(1, 200ms));
  release_handler.add(true);
  REQUIRE(stop_returned.wait_for(1));
  stopper.join();
  CHECK(finished_when_stopped);
  caller.join();
  runner.join();
}

TEST_CASE_METHOD(testing::wamp_fixture,
                 "the thread of run(blocking=true) may destroy the client as soon as a stop() on another thread "
                 "lets run() return",
                 "[client][threads]") {
  // run() returns when stop() stops the runner, while stop() still flushes and joins the
  // client's threads: the destructor waits for it (without that, both joined the same
  // threads and stop() went on in freed memory). Twenty times, as the race is a race.
  for (int round = 0; round < 20; ++round) {
    auto app = std::make_unique<AutobahnSync>(std::vector<std::string>{}, options_for("app"));
    testing::recorder<bool> joined;
    run_options ro;
    ro.blocking = true;
    ro.callback = [&] { joined.add(true); };
    std::thread stopper([&] {
      if (joined.wait_for(1)) app->stop();
    });
    app->run(ro);
    app.reset();
    stopper.join();
  }
}

TEST_CASE_METHOD(testing::wamp_fixture,
                 "a stop() on another thread while run() is still joining returns after run() has thrown",
                 "[client][threads]") {
  // The router never answers the HELLO: run() waits for the WELCOME when stop() comes.
  auto hold = faults().install(testing::match().type(w::message_type::hello).session("app"), fault::drop());
  auto app = std::make_unique<AutobahnSync>(std::vector<std::string>{}, options_for("app"));
  std::atomic<bool> run_threw{false};
  std::thread runner([&] {
    try {
      app->run("ws://fake/ws", "realm1");
    } catch (const Error&) {
      run_threw = true;
    }
  });
  REQUIRE(testing::eventually([&] { return hold.hits() == 1; }));
  app->stop();
  app.reset();  // at once: run() is done with the client (under ASan: nothing of it is used after this)
  runner.join();
  CHECK(run_threw);
}

TEST_CASE_METHOD(testing::wamp_fixture,
                 "run_in_io_context returns at once and runs callback on a spawned thread after init",
                 "[client][threads]") {
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  std::thread io_thread([&] { io.run(); });
  AutobahnSync app({}, options_for("app"));
  app.subscribe("com.t", [](auto&, auto&, auto&) {});
  testing::recorder<std::thread::id> callback_thread;
  std::atomic<std::size_t> subscribes_before_callback{0};
  app.run_in_io_context(io, "ws://fake/ws", "realm1", {}, {}, {}, {}, [&] {
    subscribes_before_callback = sent_by<w::subscribe>(*this, "app").size();
    callback_thread.add(std::this_thread::get_id());
  });
  REQUIRE(callback_thread.wait_for(1));
  const auto tid = callback_thread.items()[0];
  CHECK(subscribes_before_callback == 1);
  CHECK(tid != std::this_thread::get_id());
  CHECK(tid != io_thread.get_id());
  CHECK(app.session().is_joined());
  app.stop();
  work.reset();
  io_thread.join();
}

TEST_CASE_METHOD(testing::wamp_fixture, "run_in_io_context keeps what its callback throws in last_error()",
                 "[client][threads]") {
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  std::thread io_thread([&] { io.run(); });
  AutobahnSync app({}, options_for("app"));
  app.run_in_io_context(io, run_options{.callback = [] { throw std::runtime_error("the callback failed"); }});
  REQUIRE(testing::eventually([&] { return app.last_error() != nullptr; }));
  CHECK_THROWS_WITH(std::rethrow_exception(app.last_error()), "the callback failed");
  CHECK(app.session().is_joined());  // the session is not affected
  app.stop();
  work.reset();
  io_thread.join();
}

TEST_CASE_METHOD(testing::wamp_fixture, "calls before the WELCOME throw SessionNotReady", "[client]") {
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  std::thread io_thread([&] { io.run(); });
  // The HELLO waits on the way, so the WELCOME comes later.
  auto hold_hello = faults().install(testing::match().type(w::message_type::hello).session("app"), fault::hold());
  AutobahnSync app({}, options_for("app"));
  testing::recorder<bool> called;
  app.run_in_io_context(io, run_options{.callback = [&] { called.add(true); }});
  REQUIRE(testing::eventually([&] { return hold_hello.held() == 1; }));
  CHECK_THROWS_AS(app.session().call("com.x"), SessionNotReady);
  hold_hello.release();
  REQUIRE(called.wait_for(1));
  CHECK(app.session().is_joined());
  app.stop();
  work.reset();
  io_thread.join();
}

TEST_CASE_METHOD(testing::wamp_fixture, "stop() from another thread while run() joins ends that run",
                 "[client]") {
  // The HELLO waits on the way: run() stays in its join until the stop.
  auto hold_hello = faults().install(testing::match().type(w::message_type::hello).session("app"), fault::hold());
  AutobahnSync app({}, options_for("app"));
  auto running = std::async(std::launch::async, [&] { app.run(); });
  REQUIRE(testing::eventually([&] { return hold_hello.held() == 1; }));
  app.stop();
  REQUIRE(running.wait_for(10s) == std::future_status::ready);
  CHECK_THROWS_AS(running.get(), NotRunningError);
  CHECK_FALSE(app.running());
  CHECK_THROWS_AS(app.session(), NotRunningError);
  CHECK_THROWS_AS(app.stop(), NotRunningError);
  // The client runs again as if nothing happened.
  hold_hello.remove();
  app.run();
  CHECK(app.session().is_joined());
  app.stop();
}

TEST_CASE_METHOD(testing::wamp_fixture, "stop() racing run() from another thread: one of them wins, cleanly",
                 "[client]") {
  // Sometimes the stop comes while run() sets the client up, sometimes while it joins, or
  // after it joined; whichever, both return and the client runs again afterwards.
  AutobahnSync app({}, options_for("app"));
  for (int round = 0; round < 20; ++round) {
    std::promise<void> go;
    auto started = go.get_future().share();
    auto running = std::async(std::launch::async, [&] {
      started.wait();
      app.run();
    });
    auto stopping = std::async(std::launch::async, [&] {
      started.wait();
      if (testing::eventually([&] { return app.running(); })) app.stop();  // once run() has begun
    });
    go.set_value();
    REQUIRE(stopping.wait_for(10s) == std::future_status::ready);
    REQUIRE(running.wait_for(10s) == std::future_status::ready);
    CHECK_NOTHROW(stopping.get());
    try {
      running.get();  // joined before the stop
    } catch (const NotRunningError&) {
      // stopped while joining
    }
    CHECK_FALSE(app.running());
  }
  app.run();
  CHECK(app.session().is_joined());
  app.stop();
}

TEST_CASE_METHOD(testing::wamp_fixture, "an exception from on_join or on_leave is dropped", "[client]") {
  auto o = options_for("app");
  testing::recorder<w::id> joined;
  testing::recorder<bool> left;
  o.on_join = [&](w::id session) {
    joined.add(session);
    throw std::runtime_error("on_join fails");
  };
  o.on_leave = [&](std::exception_ptr) {
    left.add(true);
    throw std::runtime_error("on_leave fails");
  };
  AutobahnSync app({}, o);
  app.register_procedure("com.echo", echo);
  app.run();
  CHECK(joined.size() == 1);
  CHECK(app.session().call("com.echo", {5}).value() == 5);
  app.stop();
  CHECK(left.size() == 1);
  // The I/O thread lived on through both: the client runs again.
  app.run();
  CHECK(app.session().call("com.echo", {6}).value() == 6);
  app.stop();
  CHECK(joined.size() == 2);
}

TEST_CASE_METHOD(testing::wamp_fixture, "the default instance's free functions", "[client]") {
  // The default instance lives as long as the process and keeps what was registered before
  // run() for every later run: register once, so the test can run again (--repeat).
  static testing::event_recorder events;
  static std::once_flag registered;
  std::call_once(registered, [] {
    autobahn_sync::register_procedure("com.echo", echo);
    autobahn_sync::subscribe("com.app.event", events.handler());
  });
  const auto before = events.size();
  default_app().options() = options_for("default");
  autobahn_sync::run();
  publish_options o;
  o.exclude_me = false;
  autobahn_sync::publish("com.app.event", {"trigger !"}, {}, o);
  REQUIRE(events.wait_for(before + 1));
  CHECK(events.items()[before].args == w::list{"trigger !"});
  CHECK(autobahn_sync::call("com.echo", {7}).value() == 7);
  CHECK(autobahn_sync::session().is_joined());
  autobahn_sync::stop();
  CHECK_THROWS_AS(autobahn_sync::stop(), NotRunningError);
  default_app().options() = {};  // its connector points at this fixture
}

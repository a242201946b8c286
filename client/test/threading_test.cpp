// The client's threading rules through the fixture's router: which thread runs handlers,
// nested calls from handlers, many calling threads, callback_threads, and a blocking call on
// the I/O thread.
#include "client/autobahn_sync.hpp"

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "client/test/handlers.hpp"
#include "testing/recorder.hpp"
#include "testing/wamp_fixture.hpp"

using namespace autobahn_sync;
using namespace std::chrono_literals;
namespace w = autobahn_sync::wamp;
namespace testing = autobahn_sync::testing;
using test::echo;

TEST_CASE_METHOD(testing::wamp_fixture, "handlers run on one background thread, not the caller's",
                 "[client][threads]") {
  std::mutex m;
  std::set<std::thread::id> threads;
  auto& app = client("app", {}, [&](AutobahnSync& a) {
    a.register_procedure("com.tid", [&](const w::list&, const w::dict&, const invocation_details&) {
      std::lock_guard lock(m);
      threads.insert(std::this_thread::get_id());
      return call_result{};
    });
  });
  for (int i = 0; i < 5; ++i) app.session().call("com.tid");
  std::lock_guard lock(m);
  CHECK(threads.size() == 1);
  CHECK_FALSE(threads.contains(std::this_thread::get_id()));
}

TEST_CASE_METHOD(testing::wamp_fixture, "a handler may call a procedure of the same session", "[client][threads]") {
  auto& app = client("app");
  app.register_procedure("com.inner", [](const w::list& a, const w::dict&, const invocation_details&) {
    return call_result{{a.at(0).get<int>() * 2}};
  });
  app.register_procedure("com.outer", [&](const w::list& a, const w::dict&, const invocation_details&) {
    auto inner = app.session().call("com.inner", a);
    app.session().publish("com.note", {"nested"});
    return call_result{{inner.value().get<int>() + 1}};
  });
  CHECK(app.session().call("com.outer", {20}).value() == 41);
}

TEST_CASE_METHOD(testing::wamp_fixture, "many threads call at once", "[client][threads]") {
  // The callee is the calling session itself, or another one.
  const std::string callee = GENERATE(as<std::string>{}, "caller", "callee");
  CAPTURE(callee);
  session(callee).register_procedure("com.echo", echo);
  auto& s = session("caller");
  constexpr int threads = 8, calls = 100;
  std::atomic<int> ok{0}, wrong{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < calls; ++i) {
        try {
          auto r = s.call("com.echo", {t, i});
          (r.args == w::list{t, i} ? ok : wrong)++;
        } catch (...) {
          wrong++;
        }
      }
    });
  }
  for (auto& t : pool) t.join();
  CHECK(ok == threads * calls);
  CHECK(wrong == 0);
}

TEST_CASE_METHOD(testing::wamp_fixture, "callback_threads > 1 lets handlers run concurrently", "[client][threads]") {
  auto o = options_for("app");
  o.callback_threads = 2;
  AutobahnSync app({}, o);
  std::mutex m;
  std::condition_variable cv;
  bool b_started = false;
  testing::recorder<bool> a_started;
  app.register_procedure("com.a", [&](const w::list&, const w::dict&, const invocation_details&) {
    a_started.add(true);
    std::unique_lock lock(m);
    // With one callbacks thread com.b could not start while com.a waits: the hang guard
    // would expire and com.a answer false.
    return call_result{{cv.wait_for(lock, 10s, [&] { return b_started; })}};
  });
  app.register_procedure("com.b", [&](const w::list&, const w::dict&, const invocation_details&) {
    {
      std::lock_guard lock(m);
      b_started = true;
    }
    cv.notify_all();
    return call_result{};
  });
  app.run();
  auto a = std::async(std::launch::async, [&] { return app.session().call("com.a"); });
  REQUIRE(a_started.wait_for(1));
  app.session().call("com.b");
  REQUIRE(a.wait_for(10s) == std::future_status::ready);
  CHECK(a.get().value() == true);
  app.stop();
}

TEST_CASE_METHOD(testing::wamp_fixture,
                 "callback_threads = 0 runs handlers inline on the I/O thread; blocking calls there throw",
                 "[client][threads]") {
  auto inline_options = options_for("callee");
  inline_options.callback_threads = 0;
  AutobahnSync callee({}, inline_options);
  testing::recorder<std::string> nested;
  callee.register_procedure("com.app.twice", [](const w::list& a, const w::dict&, const invocation_details&) {
    return call_result{{a.at(0).get<int>() * 2}};
  });
  callee.register_procedure("com.app.nested", [&](const w::list&, const w::dict&, const invocation_details&) {
    try {
      callee.session().call("com.app.twice", {1});
      nested.add("no error");
    } catch (const Error& e) {
      nested.add(e.what());
    }
    return call_result{};
  });
  testing::recorder<std::thread::id> event_thread;
  callee.subscribe("com.app.e", [&](const w::list&, const w::dict&, const event_details&) {
    event_thread.add(std::this_thread::get_id());
  });
  callee.run();
  auto& caller = session("caller");
  for (int i = 0; i < 100; ++i) CHECK(caller.call("com.app.twice", {i}).value() == 2 * i);
  caller.call("com.app.nested");
  REQUIRE(nested.wait_for(1));
  CHECK(nested.items()[0].find("I/O thread") != std::string::npos);
  caller.publish("com.app.e", {}, {}, publish_options{.acknowledge = true});
  REQUIRE(event_thread.wait_for(1));
  CHECK(event_thread.items()[0] != std::this_thread::get_id());
  stop_clients();
  callee.stop();
}

TEST_CASE_METHOD(testing::wamp_fixture,
                 "an inline handler or on_join may publish without acknowledge; acknowledged, it throws",
                 "[client][threads]") {
  auto o = options_for("forwarder");
  o.callback_threads = 0;
  AutobahnSync* self = nullptr;
  o.on_join = [&](w::id) { self->session().publish("com.app.hello", {"joined"}); };
  AutobahnSync forwarder({}, o);
  self = &forwarder;
  testing::recorder<std::string> acknowledged;
  forwarder.subscribe("com.app.in", [&](const w::list& args, const w::dict&, const event_details&) {
    forwarder.session().publish("com.app.out", {args.at(0)});
    try {
      forwarder.session().publish("com.app.out", {"acknowledged"}, {}, publish_options{.acknowledge = true});
      acknowledged.add("returned");
    } catch (const Error& e) {
      acknowledged.add(e.what());
    }
  });
  testing::event_recorder hellos, forwarded;
  auto& watcher = session("watcher");
  watcher.subscribe("com.app.hello", hellos.handler());
  watcher.subscribe("com.app.out", forwarded.handler());
  forwarder.run();
  REQUIRE(hellos.wait_for(1));
  CHECK(hellos.items()[0].args == w::list{"joined"});
  for (int i = 0; i < 10; ++i) session("source").publish("com.app.in", {i});
  REQUIRE(forwarded.wait_for(10));
  for (int i = 0; i < 10; ++i) CHECK(forwarded.items()[i].args == w::list{i});  // in order
  REQUIRE(acknowledged.wait_for(10));
  CHECK(acknowledged.items()[0].find("I/O thread") != std::string::npos);
  stop_clients();
  forwarder.stop();
}

TEST_CASE_METHOD(testing::wamp_fixture, "a blocking call on the I/O thread throws instead of deadlocking",
                 "[client][threads]") {
  auto o = options_for("app");
  testing::recorder<std::string> what;
  AutobahnSync* self = nullptr;
  o.on_join = [&](w::id) {
    try {
      self->session().call("com.x");
      what.add("returned");
    } catch (const Error& e) {
      what.add(e.what());
    }
  };
  AutobahnSync app({}, o);
  self = &app;
  std::thread runner([&] { app.run(); });
  REQUIRE(what.wait_for(1));
  runner.join();
  CHECK(what.items()[0].find("I/O thread") != std::string::npos);
  app.stop();
}

TEST_CASE_METHOD(testing::wamp_fixture,
                 "in-process: on_join and on_leave run on the client's own I/O thread, never the router's or a caller's",
                 "[client][threads]") {
  // In-process answers may be delivered on the router's or the sender's thread (inside the
  // client's gate), but only while no application code would run there.
  testing::recorder<std::thread::id> join_thread, leave_thread;
  auto o = options_for("app");
  o.on_join = [&](w::id) { join_thread.add(std::this_thread::get_id()); };
  o.on_leave = [&](std::exception_ptr) { leave_thread.add(std::this_thread::get_id()); };
  AutobahnSync app({}, o);
  app.register_procedure("com.app.echo", echo);
  app.run();
  REQUIRE(join_thread.wait_for(1));
  CHECK(app.session().call("com.app.echo", {1}).value() == 1);
  const auto router_thread = the_router().with_core([](router::router_core& core) {
    core.shutdown("wamp.close.system_shutdown");  // GOODBYE to the client, from the router's thread
    return std::this_thread::get_id();
  });
  REQUIRE(leave_thread.wait_for(1));
  CHECK(leave_thread.items()[0] == join_thread.items()[0]);
  CHECK(leave_thread.items()[0] != router_thread);
  CHECK(leave_thread.items()[0] != std::this_thread::get_id());
  app.stop();
}

// The blocking client (AutobahnSync, SyncSession) against the scripted fake router: every
// API call, each exception, and the threading rules.
#include "client/autobahn_sync.hpp"

#include <atomic>
#include <future>
#include <thread>

#include <catch2/catch.hpp>

#include "client/test/fake_router.hpp"

using namespace autobahn_sync;
using namespace std::chrono_literals;
namespace w = autobahn_sync::wamp;

namespace {

struct fixture {
  std::shared_ptr<test::fake_router> router = std::make_shared<test::fake_router>();

  client_options options() {
    client_options o;
    o.connect = router->make_connector();
    o.call_timeout = 10s;
    o.join_timeout = 10s;
    o.leave_timeout = 2s;
    return o;
  }
};

call_result echo(const w::list& args, const w::dict& kwargs, const invocation_details&) {
  return call_result{args, kwargs};
}

/// A value set once from another thread, read by the test thread with a hang guard.
template <class T>
struct mailbox {
  std::promise<T> promise;
  std::future<T> future = promise.get_future();
  std::atomic<bool> set{false};
  void put(T v) {
    if (!set.exchange(true)) promise.set_value(std::move(v));
  }
  T get() {
    REQUIRE(future.wait_for(10s) == std::future_status::ready);
    return future.get();
  }
};

}  // namespace

TEST_CASE_METHOD(fixture, "run joins the realm and session() exposes the session",
                 "[client]") {
  AutobahnSync app({}, options());
  CHECK_FALSE(app.running());
  CHECK_THROWS_AS(app.session(), NotRunningError);
  app.run("ws://fake/ws", "realm7");
  CHECK(app.running());
  CHECK(app.session().is_joined());
  CHECK(app.session().id() == router->session_id);
  CHECK(app.session().welcome_details().at("authid") == "anonymous");
  auto hello = router->received_of<w::hello>();
  REQUIRE(hello.size() == 1);
  CHECK(hello[0].realm == "realm7");
  app.stop();
  CHECK_FALSE(app.running());
  CHECK_THROWS_AS(app.session(), NotRunningError);
  CHECK(router->received_of<w::goodbye>().size() == 1);
}

TEST_CASE_METHOD(fixture, "run defaults to realm1", "[client]") {
  AutobahnSync app({}, options());
  app.run();
  CHECK(router->received_of<w::hello>().at(0).realm == "realm1");
  app.stop();
}

TEST_CASE_METHOD(fixture, "run twice is AlreadyRunningError, stop twice NotRunningError",
                 "[client]") {
  AutobahnSync app({}, options());
  CHECK_THROWS_AS(app.stop(), NotRunningError);
  app.run();
  CHECK_THROWS_AS(app.run(), AlreadyRunningError);
  app.stop();
  CHECK_THROWS_AS(app.stop(), NotRunningError);
  // A stopped client can run again.
  app.run();
  CHECK(app.session().is_joined());
  app.stop();
  CHECK(router->connects() == 2);
}

TEST_CASE_METHOD(fixture, "constructor authmethods and run's auth arguments go into HELLO",
                 "[client]") {
  AutobahnSync app({"ticket"}, options());
  app.on_challenge([](const w::challenge& c) { return w::authenticate{"s3cret", {}}; });
  router->intercept = [](const w::message& m, test::fake_router& r) {
    if (std::holds_alternative<w::hello>(m)) {
      r.inject(w::challenge{"ticket", {}});
      return true;
    }
    return false;
  };
  app.run(default_url, "realm1", {}, "joe", "user", {{"k", "v"}});
  auto hello = router->received_of<w::hello>().at(0);
  CHECK(hello.details["authmethods"] == w::value::array({"ticket"}));
  CHECK(hello.details["authid"] == "joe");
  CHECK(hello.details["authrole"] == "user");
  CHECK(hello.details["authextra"]["k"] == "v");
  CHECK(router->received_of<w::authenticate>().at(0).signature == "s3cret");
  CHECK_THROWS_AS(app.on_challenge({}), AlreadyRunningError);
  app.stop();
}

TEST_CASE_METHOD(fixture, "the built-in ticket answer uses client_options::ticket",
                 "[client]") {
  auto o = options();
  o.ticket = "tkt";
  AutobahnSync app({"ticket"}, o);
  router->intercept = [](const w::message& m, test::fake_router& r) {
    if (!std::holds_alternative<w::hello>(m)) return false;
    r.inject(w::challenge{"ticket", {}});
    return true;
  };
  app.run();
  CHECK(router->received_of<w::authenticate>().at(0).signature == "tkt");
  app.stop();
}

TEST_CASE_METHOD(fixture, "ABORT on join makes run throw AbortError", "[client]") {
  AutobahnSync app({}, options());
  router->intercept = [](const w::message& m, test::fake_router& r) {
    if (!std::holds_alternative<w::hello>(m)) return false;
    r.inject(w::abort{{{"message", "no such realm"}}, "wamp.error.no_such_realm"});
    return true;
  };
  try {
    app.run(default_url, "nope");
    FAIL("run returned");
  } catch (const AbortError& e) {
    CHECK(e.reason() == "wamp.error.no_such_realm");
    CHECK(e.details().at("message") == "no such realm");
  }
  CHECK_FALSE(app.running());
  CHECK_THROWS_AS(app.session(), NotRunningError);
}

TEST_CASE_METHOD(fixture, "a challenge without an answer aborts the join", "[client]") {
  AutobahnSync app({"wampcra"}, options());
  router->intercept = [](const w::message& m, test::fake_router& r) {
    if (!std::holds_alternative<w::hello>(m)) return false;
    r.inject(w::challenge{"wampcra", {{"challenge", "x"}}});
    return true;
  };
  CHECK_THROWS_AS(app.run(), AbortError);
  CHECK(router->received_of<w::abort>().at(0).reason == "wamp.error.cannot_authenticate");
}

TEST_CASE_METHOD(fixture, "a failed connect is ConnectionRefusedError", "[client]") {
  router->connect_error = boost::asio::error::connection_refused;
  AutobahnSync app({}, options());
  CHECK_THROWS_AS(app.run(), ConnectionRefusedError);
  CHECK_FALSE(app.running());
}

TEST_CASE_METHOD(fixture, "call returns the result; errors map onto exceptions", "[client]") {
  AutobahnSync app({}, options());
  router->intercept = [](const w::message& m, test::fake_router& r) {
    auto* c = std::get_if<w::call>(&m);
    if (!c) return false;
    if (c->procedure == "com.add") {
      r.inject(w::result{c->request, {},
                         {c->args.at(0).get<int>() + c->args.at(1).get<int>()},
                         {{"echo", c->kwargs}}});
    } else if (c->procedure == "com.secret") {
      r.inject(w::error{w::message_type::call, c->request, {}, "wamp.error.not_authorized"});
    } else if (c->procedure == "com bad") {
      r.inject(w::error{w::message_type::call, c->request, {}, "wamp.error.invalid_uri"});
    } else {
      r.inject(w::error{w::message_type::call, c->request, {}, "com.app.failed", {"no", 2},
                        {{"why", "because"}}});
    }
    return true;
  };
  app.run();
  auto& s = app.session();
  auto r = s.call("com.add", {2, 3}, {{"x", 1}});
  CHECK(r.value() == 5);
  CHECK(r.kwargs.at("echo").at("x") == 1);
  CHECK_THROWS_AS(s.call("com.secret"), NotAuthorized);
  CHECK_THROWS_AS(s.call("com bad"), InvalidUri);
  try {
    s.call("com.other");
    FAIL("no throw");
  } catch (const ApplicationError& e) {
    CHECK(e.error() == "com.app.failed");
    CHECK(e.args() == w::list{"no", 2});
    CHECK(e.kwargs().at("why") == "because");
    CHECK(e.error_message() == "com.app.failed: no 2");
  }
  app.stop();
}

TEST_CASE_METHOD(fixture, "register before and after run; handlers get args, kwargs, details",
                 "[client]") {
  AutobahnSync app({}, options());
  app.register_procedure("com.echo", echo);
  app.run();
  app.register_procedure(
      "com.who", [](const w::list&, const w::dict&, const invocation_details& d) {
        return call_result{{d.caller ? static_cast<std::int64_t>(*d.caller) : -1}};
      });
  auto& s = app.session();
  auto r = s.call("com.echo", {"a", 1}, {{"k", true}});
  CHECK(r.args == w::list{"a", 1});
  CHECK(r.kwargs.at("k") == true);
  call_options disclose;
  disclose.disclose_me = true;
  CHECK(s.call("com.who", {}, {}, disclose).value() == router->session_id);
  CHECK(s.call("com.who").value() == -1);
  // The deferred registration went out before run() returned, in order.
  auto regs = router->received_of<w::register_>();
  REQUIRE(regs.size() == 2);
  CHECK(regs[0].procedure == "com.echo");
  app.stop();
}

TEST_CASE_METHOD(fixture, "register options: match, invoke; pattern details carry the procedure",
                 "[client]") {
  AutobahnSync app({}, options());
  app.run();
  register_options o;
  o.match = "prefix";
  o.invoke = "roundrobin";
  auto reg = app.session().register_procedure(
      "com.math.", [](const w::list&, const w::dict&, const invocation_details& d) {
        return call_result{{d.procedure}};
      }, o);
  auto sent = router->received_of<w::register_>().at(0);
  CHECK(sent.options.at("match") == "prefix");
  CHECK(sent.options.at("invoke") == "roundrobin");
  CHECK(app.session().call("com.math.square").value() == "com.math.square");
  CHECK(reg.active());
  reg.unregister();
  CHECK_FALSE(reg.active());
  CHECK(router->received_of<w::unregister>().size() == 1);
  CHECK_THROWS_AS(app.session().call("com.math.square"), ApplicationError);
  app.stop();
}

TEST_CASE_METHOD(fixture, "a handler's exceptions answer the caller with ERROR", "[client]") {
  AutobahnSync app({}, options());
  app.register_procedure("com.app_error", [](const w::list&, const w::dict&,
                                             const invocation_details&) -> call_result {
    throw ApplicationError("com.app.out_of_stock", {"apples"}, {{"left", 0}});
  });
  app.register_procedure("com.crash", [](const w::list&, const w::dict&,
                                         const invocation_details&) -> call_result {
    throw std::runtime_error("boom");
  });
  app.run();
  try {
    app.session().call("com.app_error");
    FAIL("no throw");
  } catch (const ApplicationError& e) {
    CHECK(e.error() == "com.app.out_of_stock");
    CHECK(e.args() == w::list{"apples"});
    CHECK(e.kwargs().at("left") == 0);
  }
  try {
    app.session().call("com.crash");
    FAIL("no throw");
  } catch (const ApplicationError& e) {
    CHECK(e.error() == "wamp.error.runtime_error");
    CHECK(e.args() == w::list{"boom"});
  }
  app.stop();
}

TEST_CASE_METHOD(fixture, "subscribe before run; publish reaches the handler with details",
                 "[client]") {
  AutobahnSync app({}, options());
  mailbox<std::tuple<w::list, w::dict, event_details>> got;
  app.subscribe("com.app.event", [&](const w::list& a, const w::dict& k, const event_details& d) {
    got.put({a, k, d});
  });
  app.run();
  publish_options o;
  o.exclude_me = false;
  o.disclose_me = true;
  CHECK_FALSE(app.session().publish("com.app.event", {"trigger !"}, {{"n", 1}}, o));
  auto [args, kwargs, details] = got.get();
  CHECK(args == w::list{"trigger !"});
  CHECK(kwargs.at("n") == 1);
  CHECK(details.topic == "com.app.event");
  CHECK(details.publisher == router->session_id);
  CHECK(details.publication > 0);
  auto pub = router->received_of<w::publish>().at(0);
  CHECK(pub.options.at("exclude_me") == false);
  CHECK(pub.options.at("disclose_me") == true);
  app.stop();
}

TEST_CASE_METHOD(fixture, "publish options: acknowledge, exclude and eligible lists",
                 "[client]") {
  AutobahnSync app({}, options());
  app.run();
  publish_options o;
  o.acknowledge = true;
  o.exclude = {1, 2};
  o.eligible = {3};
  o.exclude_authid = {"bob"};
  o.eligible_authrole = {"admin"};
  auto publication = app.session().publish("com.t", {}, {}, o);
  REQUIRE(publication);
  CHECK(*publication > 0);
  auto pub = router->received_of<w::publish>().at(0);
  CHECK(pub.options.at("acknowledge") == true);
  CHECK(pub.options.at("exclude") == w::value::array({1, 2}));
  CHECK(pub.options.at("eligible") == w::value::array({3}));
  CHECK(pub.options.at("exclude_authid") == w::value::array({"bob"}));
  CHECK(pub.options.at("eligible_authrole") == w::value::array({"admin"}));
  router->intercept = [](const w::message& m, test::fake_router& r) {
    auto* p = std::get_if<w::publish>(&m);
    if (!p) return false;
    r.inject(w::error{w::message_type::publish, p->request, {}, "wamp.error.not_authorized"});
    return true;
  };
  CHECK_THROWS_AS(app.session().publish("com.t", {}, {}, o), NotAuthorized);
  app.stop();
}

TEST_CASE_METHOD(fixture, "pattern subscriptions report the concrete topic; unsubscribe stops "
                          "delivery", "[client]") {
  AutobahnSync app({}, options());
  app.run();
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::string> topics;
  subscribe_options so;
  so.match = "wildcard";
  auto sub = app.session().subscribe(
      "com..update", [&](const w::list&, const w::dict&, const event_details& d) {
        std::lock_guard lock(m);
        topics.push_back(d.topic);
        cv.notify_all();
      }, so);
  CHECK(router->received_of<w::subscribe>().at(0).options.at("match") == "wildcard");
  publish_options po;
  po.exclude_me = false;
  po.acknowledge = true;
  app.session().publish("com.user.update", {}, {}, po);
  {
    std::unique_lock lock(m);
    REQUIRE(cv.wait_for(lock, 10s, [&] { return topics.size() == 1; }));
  }
  CHECK(topics[0] == "com.user.update");
  sub.unsubscribe();
  CHECK_FALSE(sub.active());
  CHECK(router->received_of<w::unsubscribe>().size() == 1);
  app.session().publish("com.user.update", {}, {}, po);
  // A round trip through the handler queue proves nothing more arrived.
  mailbox<bool> marker;
  app.session().subscribe("com.marker", [&](auto&, auto&, auto&) { marker.put(true); });
  app.session().publish("com.marker", {}, {}, po);
  marker.get();
  std::lock_guard lock(m);
  CHECK(topics.size() == 1);
  app.stop();
}

TEST_CASE_METHOD(fixture, "handlers run on one background thread, not the caller's",
                 "[client][threads]") {
  AutobahnSync app({}, options());
  std::mutex m;
  std::set<std::thread::id> threads;
  app.register_procedure("com.tid", [&](const w::list&, const w::dict&,
                                        const invocation_details&) {
    std::lock_guard lock(m);
    threads.insert(std::this_thread::get_id());
    return call_result{};
  });
  app.run();
  for (int i = 0; i < 5; ++i) app.session().call("com.tid");
  std::lock_guard lock(m);
  CHECK(threads.size() == 1);
  CHECK_FALSE(threads.contains(std::this_thread::get_id()));
  app.stop();
}

TEST_CASE_METHOD(fixture, "a handler may call a procedure of the same session", "[client][threads]") {
  AutobahnSync app({}, options());
  app.register_procedure("com.inner", [](const w::list& a, const w::dict&,
                                         const invocation_details&) {
    return call_result{{a.at(0).get<int>() * 2}};
  });
  app.register_procedure("com.outer", [&](const w::list& a, const w::dict&,
                                          const invocation_details&) {
    auto inner = app.session().call("com.inner", a);
    app.session().publish("com.note", {"nested"});
    return call_result{{inner.value().get<int>() + 1}};
  });
  app.run();
  CHECK(app.session().call("com.outer", {20}).value() == 41);
  app.stop();
}

TEST_CASE_METHOD(fixture, "many threads call at once", "[client][threads]") {
  AutobahnSync app({}, options());
  app.register_procedure("com.echo", echo);
  app.run();
  constexpr int threads = 8, calls = 50;
  std::atomic<int> ok{0}, wrong{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < calls; ++i) {
        try {
          auto r = app.session().call("com.echo", {t, i});
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
  app.stop();
}

TEST_CASE_METHOD(fixture, "progressive results reach on_progress before the final result",
                 "[client]") {
  AutobahnSync app({}, options());
  app.register_procedure("com.count", [](const w::list&, const w::dict&,
                                         const invocation_details& d) {
    if (!d.receive_progress) throw ApplicationError("test.no_receive_progress");
    for (int i = 1; i <= 3; ++i) d.progress({i}, {});
    return call_result{{"done"}};
  });
  app.run();
  std::vector<w::value> progress;
  std::thread::id progress_thread;
  call_options o;
  o.on_progress = [&](const call_result& r) {
    progress.push_back(r.value());
    progress_thread = std::this_thread::get_id();
  };
  auto r = app.session().call("com.count", {}, {}, o);
  CHECK(r.value() == "done");
  CHECK(progress == std::vector<w::value>{1, 2, 3});
  CHECK(progress_thread == std::this_thread::get_id());
  CHECK(router->received_of<w::call>().at(0).options.at("receive_progress") == true);
  app.stop();
}

TEST_CASE_METHOD(fixture, "a call times out, is canceled at the router, and throws",
                 "[client]") {
  AutobahnSync app({}, options());
  router->intercept = [](const w::message& m, test::fake_router&) {
    return std::holds_alternative<w::call>(m);  // never answered
  };
  app.run();
  call_options o;
  o.timeout = 50ms;
  try {
    app.session().call("com.slow", {}, {}, o);
    FAIL("no throw");
  } catch (const ApplicationError& e) {
    CHECK(e.error() == "wamp.error.timeout");
  }
  REQUIRE(router->wait_for_type<w::cancel>());
  auto cancel = router->received_of<w::cancel>().at(0);
  CHECK(cancel.request == router->received_of<w::call>().at(0).request);
  CHECK(cancel.options.at("mode") == "killnowait");
  app.stop();
}

TEST_CASE_METHOD(fixture, "the client-wide call timeout applies by default", "[client]") {
  auto o = options();
  o.call_timeout = 50ms;
  AutobahnSync app({}, o);
  router->intercept = [](const w::message& m, test::fake_router&) {
    return std::holds_alternative<w::call>(m);
  };
  app.run();
  CHECK_THROWS_AS(app.session().call("com.slow"), ApplicationError);
  app.stop();
}

TEST_CASE_METHOD(fixture, "a canceller cancels a waiting call; the callee sees canceled()",
                 "[client]") {
  AutobahnSync app({}, options());
  mailbox<bool> started;
  std::atomic<bool> release{false};
  std::atomic<bool> saw_canceled{false};
  app.register_procedure("com.long", [&](const w::list&, const w::dict&,
                                         const invocation_details& d) {
    started.put(true);
    // Hang guard only: the cancel normally ends the wait at once.
    auto until = std::chrono::steady_clock::now() + 10s;
    while (!d.canceled() && std::chrono::steady_clock::now() < until) std::this_thread::yield();
    saw_canceled = d.canceled();
    return call_result{};
  });
  app.run();
  auto canceller = std::make_shared<call_canceller>();
  std::thread t([&] {
    started.get();
    canceller->cancel("kill");
  });
  call_options o;
  o.canceller = canceller;
  try {
    app.session().call("com.long", {}, {}, o);
    FAIL("no throw");
  } catch (const ApplicationError& e) {
    CHECK(e.error() == "wamp.error.canceled");
  }
  t.join();
  CHECK(router->received_of<w::cancel>().at(0).options.at("mode") == "kill");
  // The callee answered the INTERRUPT with ERROR canceled.
  REQUIRE(router->wait_for([](const auto& ms) {
    for (auto& m : ms) {
      if (auto* e = std::get_if<w::error>(&m); e && e->request_type == w::message_type::invocation)
        return true;
    }
    return false;
  }));
  app.stop();
  CHECK(saw_canceled);
}

TEST_CASE_METHOD(fixture, "transport loss wakes a waiting call with TransportLost", "[client]") {
  AutobahnSync app({}, options());
  router->intercept = [](const w::message& m, test::fake_router& r) {
    if (!std::holds_alternative<w::call>(m)) return false;
    r.drop();
    return true;
  };
  app.run();
  CHECK_THROWS_AS(app.session().call("com.x"), TransportLost);
  CHECK_FALSE(app.session().is_joined());
  CHECK_THROWS_AS(app.session().call("com.x"), TransportLost);
  CHECK_THROWS_AS(app.session().publish("com.t"), TransportLost);
  app.stop();
}

TEST_CASE_METHOD(fixture, "stop wakes every waiting caller with NotRunningError", "[client]") {
  AutobahnSync app({}, options());
  router->intercept = [](const w::message& m, test::fake_router&) {
    return std::holds_alternative<w::call>(m);
  };
  app.run();
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
  REQUIRE(router->wait_for([](const auto& ms) {
    return std::count_if(ms.begin(), ms.end(), [](auto& m) {
             return std::holds_alternative<w::call>(m);
           }) == n;
  }));
  app.stop();
  for (auto& r : results) {
    REQUIRE(r.wait_for(10s) == std::future_status::ready);
    CHECK(r.get());
  }
  CHECK_THROWS_AS(s.call("com.x"), NotRunningError);
}

TEST_CASE_METHOD(fixture, "the router's GOODBYE fails pending calls with TransportLost",
                 "[client]") {
  AutobahnSync app({}, options());
  router->intercept = [](const w::message& m, test::fake_router& r) {
    if (!std::holds_alternative<w::call>(m)) return false;
    r.inject(w::goodbye{{{"message", "maintenance"}}, "wamp.close.system_shutdown"});
    return true;
  };
  app.run();
  CHECK_THROWS_AS(app.session().call("com.x"), TransportLost);
  REQUIRE(router->wait_for_type<w::goodbye>());
  CHECK(router->received_of<w::goodbye>().at(0).reason == "wamp.close.goodbye_and_out");
  app.stop();
}

TEST_CASE_METHOD(fixture, "leave says GOODBYE; later calls throw TransportLost", "[client]") {
  AutobahnSync app({}, options());
  app.run();
  app.session().leave();
  CHECK(router->received_of<w::goodbye>().at(0).reason == "wamp.close.normal");
  CHECK_FALSE(app.session().is_joined());
  CHECK_THROWS_AS(app.session().call("com.x"), TransportLost);
  app.stop();
}

TEST_CASE_METHOD(fixture, "a payload that cannot be encoded is SerializationError",
                 "[client]") {
  AutobahnSync app({}, options());
  app.run();
  CHECK_THROWS_AS(app.session().call("com.x", {std::string("\xff\xfe")}), SerializationError);
  CHECK_THROWS_AS(app.session().publish("com.t", {std::string("\xc3")}), SerializationError);
  app.stop();
}

TEST_CASE_METHOD(fixture, "a router message a client never receives is a ProtocolError",
                 "[client]") {
  AutobahnSync app({}, options());
  router->intercept = [](const w::message& m, test::fake_router& r) {
    auto* c = std::get_if<w::call>(&m);
    if (!c) return false;
    r.inject(w::call{c->request, {}, "com.reflected"});
    return true;
  };
  app.run();
  CHECK_THROWS_AS(app.session().call("com.x"), ProtocolError);
  REQUIRE(router->wait_for_type<w::abort>());
  CHECK(router->received_of<w::abort>().at(0).reason == "wamp.error.protocol_violation");
  app.stop();
}

TEST_CASE_METHOD(fixture, "run(blocking=true) runs callback and handlers on the calling "
                          "thread and returns after stop", "[client][threads]") {
  AutobahnSync app({}, options());
  const auto me = std::this_thread::get_id();
  std::thread::id callback_thread, handler_thread;
  app.register_procedure("com.stop", [&](const w::list&, const w::dict&,
                                         const invocation_details&) {
    handler_thread = std::this_thread::get_id();
    app.stop();
    return call_result{};
  });
  std::thread caller;
  std::promise<void> ready;
  auto ready_future = ready.get_future();
  run_options ro;
  ro.blocking = true;
  ro.callback = [&] {
    callback_thread = std::this_thread::get_id();
    // The callback runs on the runner: a blocking call from here must still work.
    CHECK(app.session().call("com.echo2", {}).args.empty() == false);
    ready.set_value();
  };
  app.register_procedure("com.echo2", [](const w::list&, const w::dict&,
                                         const invocation_details&) {
    return call_result{{1}};
  });
  caller = std::thread([&] {
    // Wait until the session is up, then trigger the handler that stops the client.
    if (ready_future.wait_for(10s) != std::future_status::ready) return;
    try {
      app.session().call("com.stop");
    } catch (...) {
    }
  });
  app.run(ro);
  caller.join();
  CHECK(callback_thread == me);
  CHECK(handler_thread == me);
  CHECK_FALSE(app.running());
}

TEST_CASE_METHOD(fixture, "run_in_io_context returns at once and runs callback on a spawned "
                          "thread after init", "[client][threads]") {
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  std::thread io_thread([&] { io.run(); });
  AutobahnSync app({}, options());
  app.subscribe("com.t", [](auto&, auto&, auto&) {});
  mailbox<std::thread::id> callback_thread;
  std::atomic<std::size_t> subscribes_before_callback{0};
  app.run_in_io_context(io, "ws://fake/ws", "realm1", {}, {}, {}, {}, [&] {
    subscribes_before_callback = router->received_of<w::subscribe>().size();
    callback_thread.put(std::this_thread::get_id());
  });
  auto tid = callback_thread.get();
  CHECK(subscribes_before_callback == 1);
  CHECK(tid != std::this_thread::get_id());
  CHECK(tid != io_thread.get_id());
  CHECK(app.session().is_joined());
  app.stop();
  work.reset();
  io_thread.join();
}

TEST_CASE_METHOD(fixture, "calls before the WELCOME throw SessionNotReady", "[client]") {
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  std::thread io_thread([&] { io.run(); });
  router->intercept = [](const w::message& m, test::fake_router&) {
    return std::holds_alternative<w::hello>(m);  // WELCOME comes later
  };
  AutobahnSync app({}, options());
  mailbox<bool> called;
  app.run_in_io_context(io, run_options{.callback = [&] { called.put(true); }});
  REQUIRE(router->wait_for_type<w::hello>());
  CHECK_THROWS_AS(app.session().call("com.x"), SessionNotReady);
  router->inject(w::welcome{1, {}});
  called.get();
  CHECK(app.session().is_joined());
  app.stop();
  work.reset();
  io_thread.join();
}

TEST_CASE_METHOD(fixture, "the default instance's free functions", "[client]") {
  default_app().options() = options();
  autobahn_sync::register_procedure("com.echo", echo);
  mailbox<w::list> got;
  autobahn_sync::subscribe("com.app.event", [&](const w::list& a, auto&, auto&) { got.put(a); });
  autobahn_sync::run();
  publish_options o;
  o.exclude_me = false;
  autobahn_sync::publish("com.app.event", {"trigger !"}, {}, o);
  CHECK(got.get() == w::list{"trigger !"});
  CHECK(autobahn_sync::call("com.echo", {7}).value() == 7);
  CHECK(autobahn_sync::session().is_joined());
  autobahn_sync::stop();
  CHECK_THROWS_AS(autobahn_sync::stop(), NotRunningError);
}

TEST_CASE_METHOD(fixture, "reconnect re-joins and restores subscriptions and registrations",
                 "[client][reconnect]") {
  auto o = options();
  o.reconnect.enabled = true;
  o.reconnect.initial_delay = 1ms;
  std::mutex m;
  std::condition_variable cv;
  int joins = 0;
  o.on_join = [&](w::id) {
    std::lock_guard lock(m);
    ++joins;
    cv.notify_all();
  };
  AutobahnSync app({}, o);
  app.register_procedure("com.echo", echo);
  app.run();
  mailbox<w::list> event;
  auto sub = app.session().subscribe("com.t", [&](const w::list& a, auto&, auto&) {
    event.put(a);
  });
  router->drop();
  {
    std::unique_lock lock(m);
    REQUIRE(cv.wait_for(lock, 10s, [&] { return joins == 2; }));
  }
  CHECK(router->connects() == 2);
  CHECK(app.session().call("com.echo", {1}).value() == 1);
  CHECK(router->received_of<w::subscribe>().size() == 2);
  CHECK(router->received_of<w::register_>().size() == 2);
  publish_options po;
  po.exclude_me = false;
  app.session().publish("com.t", {"again"}, {}, po);
  CHECK(event.get() == w::list{"again"});
  // The restored subscription is still the handle's: unsubscribing reaches the router.
  sub.unsubscribe();
  CHECK(router->received_of<w::unsubscribe>().size() == 1);
  app.stop();
}

TEST_CASE_METHOD(fixture, "reconnect gives up after max_attempts", "[client][reconnect]") {
  auto o = options();
  o.reconnect.enabled = true;
  o.reconnect.initial_delay = 1ms;
  o.reconnect.max_delay = 2ms;
  o.reconnect.max_attempts = 3;
  AutobahnSync app({}, o);
  app.run();
  router->connect_error = boost::asio::error::connection_refused;
  router->drop();
  REQUIRE(router->wait_for_attempts(4));
  CHECK_THROWS_AS(app.session().call("com.x"), TransportLost);
  app.stop();
  CHECK(router->attempts() == 4);
}

TEST_CASE_METHOD(fixture, "without reconnect (the default) a lost session stays lost",
                 "[client][reconnect]") {
  auto o = options();
  mailbox<bool> lost;
  o.on_leave = [&](std::exception_ptr why) {
    if (why) lost.put(true);
  };
  AutobahnSync app({}, o);
  app.run();
  router->drop();
  lost.get();
  CHECK_THROWS_AS(app.session().call("com.x"), TransportLost);
  app.stop();
  CHECK(router->attempts() == 1);
}

TEST_CASE_METHOD(fixture, "callback_threads > 1 lets handlers run concurrently",
                 "[client][threads]") {
  auto o = options();
  o.callback_threads = 2;
  AutobahnSync app({}, o);
  std::mutex m;
  std::condition_variable cv;
  bool b_started = false;
  app.register_procedure("com.a", [&](const w::list&, const w::dict&, const invocation_details&) {
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
  REQUIRE(router->wait_for([](const auto& ms) {
    return std::any_of(ms.begin(), ms.end(), [](auto& m) {
      auto* c = std::get_if<w::call>(&m);
      return c && c->procedure == "com.a";
    });
  }));
  app.session().call("com.b");
  REQUIRE(a.wait_for(10s) == std::future_status::ready);
  CHECK(a.get().value() == true);
  app.stop();
}

TEST_CASE("transport loss at every protocol step: every call returns or throws TransportLost",
          "[client][faults]") {
  // The scenario sends HELLO, REGISTER, SUBSCRIBE, CALL, YIELD, PUBLISH, GOODBYE; the
  // transport drops at the k-th client message. Nothing may hang or time out.
  for (int k = 1; k <= 8; ++k) {
    CAPTURE(k);
    auto router = std::make_shared<test::fake_router>();
    auto seen = std::make_shared<std::atomic<int>>(0);
    router->intercept = [seen, k](const w::message&, test::fake_router& r) {
      if (++*seen != k) return false;
      r.drop();
      return true;
    };
    client_options o;
    o.connect = router->make_connector();
    o.call_timeout = 5s;
    o.join_timeout = 5s;
    o.leave_timeout = 1s;
    AutobahnSync app({}, o);
    app.register_procedure("com.echo", echo);
    app.subscribe("com.t", [](auto&, auto&, auto&) {});
    std::vector<std::string> outcomes;
    auto attempt = [&](const char* what, auto&& f) {
      try {
        f();
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
      attempt("publish", [&] {
        app.session().publish("com.t", {}, {}, publish_options{.acknowledge = true});
      });
      const auto before = std::chrono::steady_clock::now();
      app.stop();
      CHECK(std::chrono::steady_clock::now() - before < 3s);
    }
    for (auto& outcome : outcomes) {
      CAPTURE(outcome);
      CHECK(outcome.find("unexpected") == std::string::npos);
    }
    if (k == 8) CHECK(outcomes == std::vector<std::string>{"run:ok", "call:ok", "publish:ok"});
  }
}

TEST_CASE_METHOD(fixture, "a blocking call on the I/O thread throws instead of deadlocking",
                 "[client][threads]") {
  auto o = options();
  std::promise<std::string> what;
  AutobahnSync* self = nullptr;
  o.on_join = [&](w::id) {
    try {
      self->session().call("com.x");
      what.set_value("returned");
    } catch (const Error& e) {
      what.set_value(e.what());
    }
  };
  AutobahnSync app({}, o);
  self = &app;
  std::thread runner([&] { app.run(); });
  auto f = what.get_future();
  REQUIRE(f.wait_for(10s) == std::future_status::ready);
  runner.join();
  auto text = f.get();
  CHECK(text.find("I/O thread") != std::string::npos);
  app.stop();
}

TEST_CASE_METHOD(fixture, "a session reference from a previous run stays valid",
                 "[client]") {
  AutobahnSync app({}, options());
  app.run();
  SyncSession& old = app.session();
  app.stop();
  app.run();
  CHECK_THROWS_AS(old.call("com.x"), NotRunningError);
  CHECK(app.session().is_joined());
  app.stop();
}

// End-to-end: AutobahnSync clients against the project's router core (embedded, in-process,
// JSON and MsgPack): RPC and pub/sub between two clients, authentication, authorization and
// the error mapping, progressive results, cancel, concurrency.
#include "client/autobahn_sync.hpp"

#include <atomic>
#include <future>
#include <thread>

#include <catch2/catch.hpp>

#include "client/test/embedded_router.hpp"
#include "router/router.hpp"
#include "wamp/transport/rawsocket.hpp"
#include "wamp/transport/websocket.hpp"
#include "wamp/auth/cryptosign.hpp"

using namespace autobahn_sync;
using namespace std::chrono_literals;
namespace w = autobahn_sync::wamp;

namespace {

router::realm_config open_realm(std::string name = "realm1") {
  router::realm_config r;
  r.name = std::move(name);
  return r;
}

router::realm_config secured_realm() {
  router::realm_config r;
  r.name = "secure";
  r.allow_anonymous = false;
  router::role user_role{"user", {}};
  router::permission p;
  p.uri = "com.app.";
  p.match = w::match_policy::prefix;
  p.allow_call = p.allow_register = p.allow_publish = p.allow_subscribe = true;
  user_role.permissions.push_back(p);
  r.roles.push_back(user_role);
  r.users.push_back(router::user{"ticket_user", "user", "ticket", "t1cket"});
  r.users.push_back(router::user{"cra_user", "user", "wampcra", "s3cret"});
  router::user salted{"salty", "user", "wampcra", "pepper"};
  salted.salt = "salt123";
  salted.iterations = 100;
  r.users.push_back(salted);
  router::user signer{"signer", "user", "cryptosign"};
  signer.public_keys.push_back(
      w::auth::ed25519_key::from_seed_hex(std::string(64, '1'))->public_key_hex());
  r.users.push_back(signer);
  return r;
}

client_options options_for(test::embedded_router& router) {
  client_options o;
  o.connect = router.make_connector();
  o.call_timeout = 10s;
  o.join_timeout = 10s;
  o.leave_timeout = 2s;
  return o;
}

const w::serializer* any_serializer() {
  return GENERATE(&w::json_serializer(), &w::msgpack_serializer());
}

}  // namespace

TEST_CASE("two clients: call and publish through the router", "[client][e2e]") {
  test::embedded_router router({open_realm()}, any_serializer());
  AutobahnSync callee({}, options_for(router));
  AutobahnSync caller({}, options_for(router));
  auto router_stops_first = router.stop_first();
  callee.register_procedure("com.app.add", [](const w::list& a, const w::dict& k,
                                              const invocation_details&) {
    return call_result{{a.at(0).get<int>() + a.at(1).get<int>()}, {{"echo", k}}};
  });
  std::promise<std::tuple<w::list, w::dict, event_details>> event;
  std::atomic<bool> got{false};
  callee.subscribe("com.app.event", [&](const w::list& a, const w::dict& k,
                                        const event_details& d) {
    if (!got.exchange(true)) event.set_value({a, k, d});
  });
  callee.run();
  caller.run();
  auto r = caller.session().call("com.app.add", {2, 3}, {{"x", "y"}});
  CHECK(r.value() == 5);
  CHECK(r.kwargs.at("echo").at("x") == "y");
  publish_options po;
  po.acknowledge = true;
  auto publication = caller.session().publish("com.app.event", {"trigger !"}, {{"n", 1}}, po);
  CHECK(publication);
  auto f = event.get_future();
  REQUIRE(f.wait_for(10s) == std::future_status::ready);
  auto [args, kwargs, details] = f.get();
  CHECK(args == w::list{"trigger !"});
  CHECK(kwargs.at("n") == 1);
  CHECK(details.topic == "com.app.event");
  CHECK(details.publication == *publication);
  caller.stop();
  callee.stop();
}

TEST_CASE("router errors map onto exceptions", "[client][e2e]") {
  test::embedded_router router({open_realm()});
  AutobahnSync app({}, options_for(router));
  auto router_stops_first = router.stop_first();
  app.run();
  auto& s = app.session();
  try {
    s.call("com.nobody.home");
    FAIL("no throw");
  } catch (const ApplicationError& e) {
    CHECK(e.error() == "wamp.error.no_such_procedure");
  }
  CHECK_THROWS_AS(s.call("com.bad uri"), InvalidUri);
  CHECK_THROWS_AS(s.register_procedure("wamp.reserved", [](auto&, auto&, auto&) {
    return call_result{};
  }), ApplicationError);
  app.stop();
}

TEST_CASE("a procedure registered twice is refused", "[client][e2e]") {
  test::embedded_router router({open_realm()});
  AutobahnSync a({}, options_for(router)), b({}, options_for(router));
  auto router_stops_first = router.stop_first();
  a.run();
  b.run();
  auto handler = [](const w::list&, const w::dict&, const invocation_details&) {
    return call_result{};
  };
  a.session().register_procedure("com.app.once", handler);
  try {
    b.session().register_procedure("com.app.once", handler);
    FAIL("no throw");
  } catch (const ApplicationError& e) {
    CHECK(e.error() == "wamp.error.procedure_already_exists");
  }
  a.stop();
  b.stop();
}

TEST_CASE("an unknown realm aborts the join", "[client][e2e]") {
  test::embedded_router router({open_realm()});
  AutobahnSync app({}, options_for(router));
  auto router_stops_first = router.stop_first();
  try {
    app.run(default_url, "no.such.realm");
    FAIL("no throw");
  } catch (const AbortError& e) {
    CHECK(e.reason() == "wamp.error.no_such_realm");
  }
  CHECK_FALSE(app.running());
}

TEST_CASE("authentication: ticket, WAMP-CRA, salted WAMP-CRA, cryptosign", "[client][e2e][auth]") {
  test::embedded_router router({secured_realm()}, any_serializer());
  auto o = options_for(router);
  std::string authid, method;
  SECTION("ticket") {
    authid = "ticket_user", method = "ticket";
    o.ticket = "t1cket";
  }
  SECTION("wampcra") {
    authid = "cra_user", method = "wampcra";
    o.secret = "s3cret";
  }
  SECTION("salted wampcra") {
    authid = "salty", method = "wampcra";
    o.secret = "pepper";
  }
  SECTION("cryptosign") {
    authid = "signer", method = "cryptosign";
    o.private_key = std::string(64, '1');
  }
  AutobahnSync app({method}, o);
  auto router_stops_first = router.stop_first();
  app.run(default_url, "secure", {}, authid);
  CHECK(app.session().welcome_details().at("authid") == authid);
  CHECK(app.session().welcome_details().at("authrole") == "user");
  // Authorized under com.app., not elsewhere.
  app.session().publish("com.app.ok", {}, {}, publish_options{.acknowledge = true});
  CHECK_THROWS_AS(app.session().publish("com.other", {}, {}, publish_options{.acknowledge = true}),
                  NotAuthorized);
  app.stop();
}

TEST_CASE("wrong credentials abort the join", "[client][e2e][auth]") {
  test::embedded_router router({secured_realm()});
  auto o = options_for(router);
  o.ticket = "wrong";
  AutobahnSync app({"ticket"}, o);
  auto router_stops_first = router.stop_first();
  CHECK_THROWS_AS(app.run(default_url, "secure", {}, "ticket_user"), AbortError);
  CHECK_FALSE(app.running());
}

TEST_CASE("on_challenge answers any method", "[client][e2e][auth]") {
  test::embedded_router router({secured_realm()});
  AutobahnSync app({"ticket"}, options_for(router));
  auto router_stops_first = router.stop_first();
  std::atomic<int> challenges{0};
  app.on_challenge([&](const w::challenge& c) {
    ++challenges;
    return w::authenticate{"t1cket", {}};
  });
  app.run(default_url, "secure", {}, "ticket_user");
  CHECK(challenges == 1);
  app.stop();
}

TEST_CASE("progressive results and nested calls through the router", "[client][e2e]") {
  test::embedded_router router({open_realm()}, any_serializer());
  AutobahnSync app({}, options_for(router));
  auto router_stops_first = router.stop_first();
  app.register_procedure("com.app.count", [](const w::list& a, const w::dict&,
                                             const invocation_details& d) {
    for (int i = 0; i < a.at(0).get<int>(); ++i) d.progress({i}, {});
    return call_result{{"done"}};
  });
  app.register_procedure("com.app.outer", [&](const w::list&, const w::dict&,
                                              const invocation_details&) {
    // A handler calling a procedure of its own session, through the router.
    std::vector<int> seen;
    call_options o;
    o.on_progress = [&](const call_result& r) { seen.push_back(r.value().get<int>()); };
    auto final = app.session().call("com.app.count", {3}, {}, o);
    return call_result{{static_cast<int>(seen.size()), final.value()}};
  });
  app.run();
  std::vector<int> progress;
  call_options o;
  o.on_progress = [&](const call_result& r) { progress.push_back(r.value().get<int>()); };
  CHECK(app.session().call("com.app.count", {4}, {}, o).value() == "done");
  CHECK(progress == std::vector<int>{0, 1, 2, 3});
  CHECK(app.session().call("com.app.outer").args == w::list{3, "done"});
  app.stop();
}

TEST_CASE("cancel through the router interrupts the callee", "[client][e2e]") {
  test::embedded_router router({open_realm()});
  AutobahnSync callee({}, options_for(router)), caller({}, options_for(router));
  auto router_stops_first = router.stop_first();
  std::promise<void> started;
  std::atomic<bool> saw_cancel{false};
  callee.register_procedure("com.app.long", [&](const w::list&, const w::dict&,
                                                const invocation_details& d) {
    started.set_value();
    auto until = std::chrono::steady_clock::now() + 10s;  // hang guard
    while (!d.canceled() && std::chrono::steady_clock::now() < until) std::this_thread::yield();
    saw_cancel = d.canceled();
    return call_result{};
  });
  callee.run();
  caller.run();
  auto canceller = std::make_shared<call_canceller>();
  std::thread t([&] {
    started.get_future().wait_for(10s);
    canceller->cancel("kill");
  });
  call_options o;
  o.canceller = canceller;
  try {
    caller.session().call("com.app.long", {}, {}, o);
    FAIL("no throw");
  } catch (const ApplicationError& e) {
    CHECK(e.error() == "wamp.error.canceled");
  }
  t.join();
  callee.stop();
  caller.stop();
  CHECK(saw_cancel);
}

TEST_CASE("many threads call one session at once through the router", "[client][e2e][threads]") {
  test::embedded_router router({open_realm()});
  AutobahnSync callee({}, options_for(router)), caller({}, options_for(router));
  auto router_stops_first = router.stop_first();
  callee.register_procedure("com.app.echo", [](const w::list& a, const w::dict&,
                                               const invocation_details&) {
    return call_result{a};
  });
  callee.run();
  caller.run();
  std::atomic<int> ok{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < 8; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        try {
          if (caller.session().call("com.app.echo", {t, i}).args == w::list{t, i}) ++ok;
        } catch (...) {
        }
      }
    });
  }
  for (auto& t : pool) t.join();
  CHECK(ok == 800);
  caller.stop();
  callee.stop();
}

TEST_CASE("subscriptions survive until unsubscribed; the router stops delivering",
          "[client][e2e]") {
  test::embedded_router router({open_realm()});
  AutobahnSync app({}, options_for(router));
  auto router_stops_first = router.stop_first();
  app.run();
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::string> topics;
  auto sub = app.session().subscribe(
      "com.app.", [&](const w::list&, const w::dict&, const event_details& d) {
        std::lock_guard lock(m);
        topics.push_back(d.topic);
        cv.notify_all();
      }, subscribe_options{.match = "prefix"});
  publish_options po;
  po.exclude_me = false;
  po.acknowledge = true;
  app.session().publish("com.app.one", {}, {}, po);
  {
    std::unique_lock lock(m);
    REQUIRE(cv.wait_for(lock, 10s, [&] { return topics.size() == 1; }));
  }
  CHECK(topics[0] == "com.app.one");
  sub.unsubscribe();
  app.session().publish("com.app.two", {}, {}, po);
  std::promise<void> marker;
  app.session().subscribe("com.marker", [&](auto&, auto&, auto&) { marker.set_value(); });
  app.session().publish("com.marker", {}, {}, po);
  REQUIRE(marker.get_future().wait_for(10s) == std::future_status::ready);
  std::lock_guard lock(m);
  CHECK(topics.size() == 1);
  app.stop();
}

TEST_CASE("a router shutdown wakes callers with TransportLost", "[client][e2e]") {
  auto router = std::make_unique<test::embedded_router>(std::vector{open_realm()});
  AutobahnSync callee({}, options_for(*router)), caller({}, options_for(*router));
  auto router_stops_first = router->stop_first();
  std::promise<void> started;
  callee.register_procedure("com.app.hang", [&](const w::list&, const w::dict&,
                                                const invocation_details& d) {
    started.set_value();
    auto until = std::chrono::steady_clock::now() + 10s;
    while (!d.canceled() && callee.running() && std::chrono::steady_clock::now() < until &&
           callee.session().is_joined())
      std::this_thread::yield();
    return call_result{};
  });
  callee.run();
  caller.run();
  auto result = std::async(std::launch::async, [&] {
    try {
      caller.session().call("com.app.hang");
    } catch (const TransportLost&) {
      return true;
    } catch (...) {
    }
    return false;
  });
  REQUIRE(started.get_future().wait_for(10s) == std::future_status::ready);
  router->with_core([](router::router_core& core) {
    core.shutdown("wamp.close.system_shutdown");
    return 0;
  });
  REQUIRE(result.wait_for(10s) == std::future_status::ready);
  CHECK(result.get());
  caller.stop();
  callee.stop();
}

TEST_CASE("a session killed by the router reconnects and its procedures work again",
          "[client][e2e][reconnect]") {
  test::embedded_router router({open_realm()});
  auto o = options_for(router);
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
  AutobahnSync callee({}, o), caller({}, options_for(router));
  auto router_stops_first = router.stop_first();
  callee.register_procedure("com.app.echo", [](const w::list& a, const w::dict&,
                                               const invocation_details&) {
    return call_result{a};
  });
  callee.run();
  caller.run();
  const auto first_session = callee.session().id();
  CHECK(router.with_core([&](router::router_core& core) {
    return core.kill(first_session, "wamp.close.killed", "test");
  }));
  {
    std::unique_lock lock(m);
    REQUIRE(cv.wait_for(lock, 10s, [&] { return joins == 2; }));
  }
  CHECK(callee.session().id() != first_session);
  // The REGISTER of the restoration went to the router before on_join ran, so the router
  // knows the procedure again before this CALL.
  auto r = caller.session().call("com.app.echo", {"back"});
  CHECK(r.args == w::list{"back"});
  caller.stop();
  callee.stop();
}

// ---- the embeddable router (router::router, its own Asio layer) ----

namespace {

connector inprocess_connector(router::router& r, const w::serializer* s) {
  return [&r, s](boost::asio::any_io_executor ex, const std::string&, w::connect_handler done) {
    auto conn = r.connect_inprocess(ex, s);
    boost::asio::post(ex, [done, conn] { done({}, conn); });
  };
}

}  // namespace

TEST_CASE("clients of the embeddable router's in-process connections", "[client][e2e]") {
  router::router_config config;
  config.realms.push_back(open_realm());
  router::router r(config);
  const auto* s = any_serializer();
  client_options o;
  o.connect = inprocess_connector(r, s);
  o.call_timeout = 10s;
  o.leave_timeout = 2s;
  AutobahnSync callee({}, o), caller({}, o);
  struct stop_router_first {
    router::router& r;
    ~stop_router_first() { r.stop(); }
  } guard{r};
  callee.register_procedure("com.app.mul", [](const w::list& a, const w::dict&,
                                              const invocation_details& d) {
    return call_result{{a.at(0).get<int>() * a.at(1).get<int>()}};
  });
  std::promise<w::list> event;
  callee.subscribe("com.app.tick", [&](const w::list& a, auto&, auto&) { event.set_value(a); });
  callee.run();
  caller.run();
  CHECK(caller.session().call("com.app.mul", {6, 7}).value() == 42);
  caller.session().publish("com.app.tick", {1}, {}, publish_options{.acknowledge = true});
  auto f = event.get_future();
  REQUIRE(f.wait_for(10s) == std::future_status::ready);
  CHECK(f.get() == w::list{1});
  CHECK(r.connection_count() == 2);
  caller.stop();
  callee.stop();
}

TEST_CASE("clients over RawSocket and WebSocket on loopback", "[client][e2e][loopback]") {
  router::router_config config;
  config.realms.push_back(open_realm());
  router::router r(config);
  const bool websocket = GENERATE(false, true);
  w::listener_ptr listener;
  if (websocket) {
    listener = w::websocket_listener::create(r.get_executor(), "127.0.0.1", 0);
  } else {
    listener = w::rawsocket_listener::create(r.get_executor(), "127.0.0.1", 0);
  }
  listener->start([&r](w::connection_ptr c) { r.attach(std::move(c)); });
  const auto url = (websocket ? "ws://127.0.0.1:" : "rs://127.0.0.1:") +
                   std::to_string(listener->port()) + (websocket ? "/ws" : "");
  CAPTURE(url);
  client_options o;
  o.call_timeout = 10s;
  o.leave_timeout = 2s;
  o.serializers = {GENERATE(w::serializer_kind::json, w::serializer_kind::msgpack)};
  AutobahnSync callee({}, o), caller({}, o);
  struct stop_router_first {
    router::router& r;
    w::listener_ptr l;
    ~stop_router_first() {
      l->close();
      r.stop();
    }
  } guard{r, listener};
  callee.register_procedure("com.app.echo", [](const w::list& a, const w::dict& k,
                                               const invocation_details&) {
    return call_result{a, k};
  });
  std::promise<w::list> event;
  callee.subscribe("com.app.tick", [&](const w::list& a, auto&, auto&) { event.set_value(a); });
  callee.run(url, "realm1");
  caller.run(url, "realm1");
  auto result = caller.session().call("com.app.echo", {"loop", 1}, {{"k", 2.5}});
  CHECK(result.args == w::list{"loop", 1});
  CHECK(result.kwargs.at("k") == 2.5);
  caller.session().publish("com.app.tick", {"t"}, {}, publish_options{.acknowledge = true});
  auto f = event.get_future();
  REQUIRE(f.wait_for(10s) == std::future_status::ready);
  CHECK(f.get() == w::list{"t"});
  caller.stop();
  callee.stop();
}

TEST_CASE("connecting to a closed port is ConnectionRefusedError", "[client][e2e][loopback]") {
  // Bind and close a listener to get a port nobody listens on.
  boost::asio::io_context io;
  unsigned short port;
  {
    auto l = w::rawsocket_listener::create(io.get_executor(), "127.0.0.1", 0);
    port = l->port();
    l->close();
  }
  AutobahnSync app;
  CHECK_THROWS_AS(app.run("rs://127.0.0.1:" + std::to_string(port), "realm1"),
                  ConnectionRefusedError);
  CHECK_THROWS_AS(app.run("ws://127.0.0.1:" + std::to_string(port) + "/ws", "realm1"),
                  ConnectionRefusedError);
  CHECK_THROWS_AS(app.run("not a url", "realm1"), ConnectionRefusedError);
}

TEST_CASE("callback_threads = 0 runs handlers inline on the I/O thread; blocking calls there throw",
          "[client][e2e]") {
  test::embedded_router router({open_realm()});
  auto inline_options = options_for(router);
  inline_options.callback_threads = 0;
  AutobahnSync callee({}, inline_options), caller({}, options_for(router));
  auto router_stops_first = router.stop_first();
  std::promise<std::string> nested;
  callee.register_procedure("com.app.twice", [](const w::list& a, const w::dict&, const invocation_details&) {
    return call_result{{a.at(0).get<int>() * 2}};
  });
  callee.register_procedure("com.app.nested", [&](const w::list&, const w::dict&, const invocation_details&) {
    try {
      callee.session().call("com.app.twice", {1});
      nested.set_value("no error");
    } catch (const Error& e) {
      nested.set_value(e.what());
    }
    return call_result{};
  });
  std::promise<std::thread::id> event_thread;
  callee.subscribe("com.app.e", [&](const w::list&, const w::dict&, const event_details&) {
    event_thread.set_value(std::this_thread::get_id());
  });
  callee.run();
  caller.run();
  for (int i = 0; i < 100; ++i) CHECK(caller.session().call("com.app.twice", {i}).value() == 2 * i);
  caller.session().call("com.app.nested");
  auto message = nested.get_future();
  REQUIRE(message.wait_for(10s) == std::future_status::ready);
  CHECK(message.get().find("I/O thread") != std::string::npos);
  caller.session().publish("com.app.e", {}, {}, publish_options{.acknowledge = true});
  auto t = event_thread.get_future();
  REQUIRE(t.wait_for(10s) == std::future_status::ready);
  CHECK(t.get() != std::this_thread::get_id());
  caller.stop();
  callee.stop();
}

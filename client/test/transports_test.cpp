// Two clients through the router over every transport and serializer (in-process, RawSocket
// and WebSocket on loopback; JSON and MsgPack), the embeddable router's own in-process
// connections, and connecting where nobody listens.
#include "client/autobahn_sync.hpp"

#include <future>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <catch2/catch.hpp>

#include "client/test/handlers.hpp"
#include "router/router.hpp"
#include "testing/recorder.hpp"
#include "testing/wamp_fixture.hpp"

using namespace autobahn_sync;
namespace w = autobahn_sync::wamp;
namespace testing = autobahn_sync::testing;

TEST_CASE("two clients: call and publish through the router", "[client][e2e]") {
  const auto variant = GENERATE(from_range(testing::all_transports()));
  INFO(variant.name());
  testing::wamp_fixture f(variant.apply());
  testing::event_recorder events;
  f.client("callee", {}, [&](AutobahnSync& callee) {
    callee.register_procedure("com.app.add", test::add);
    callee.subscribe("com.app.event", events.handler());
  });
  auto& caller = f.session("caller");
  auto r = caller.call("com.app.add", {2, 3}, {{"x", "y"}, {"k", 2.5}});
  CHECK(r.value() == 5);
  CHECK(r.kwargs.at("echo").at("x") == "y");
  CHECK(r.kwargs.at("echo").at("k") == 2.5);
  publish_options po;
  po.acknowledge = true;
  auto publication = caller.publish("com.app.event", {"trigger !"}, {{"n", 1}}, po);
  REQUIRE(publication);
  REQUIRE(events.wait_for(1));
  const auto e = events.items()[0];
  CHECK(e.args == w::list{"trigger !"});
  CHECK(e.kwargs.at("n") == 1);
  CHECK(e.details.topic == "com.app.event");
  CHECK(e.details.publication == *publication);
}

TEST_CASE("callback_threads = 2: the client's threads take turns at reading and handlers, over every transport",
          "[client][e2e][threads]") {
  const auto variant = GENERATE(from_range(testing::all_transports()));
  INFO(variant.name());
  testing::wamp_fixture f(variant.apply());
  client_options two;
  two.callback_threads = 2;
  AutobahnSync callee({}, f.options_for("callee", two));
  callee.register_procedure("com.app.twice", [](const w::list& a, const w::dict&, const invocation_details&) {
    return call_result{{a.at(0).get<int>() * 2}};
  });
  // A handler blocked in a call of its own session: the other threads read its answer.
  callee.register_procedure("com.app.nested", [&](const w::list& a, const w::dict&, const invocation_details&) {
    return call_result{{callee.session().call("com.app.twice", a).value().get<int>() + 1}};
  });
  callee.run(f.url(), f.realm_name());
  auto& caller = f.session("caller");
  for (int i = 0; i < 50; ++i) REQUIRE(caller.call("com.app.nested", {i}).value() == 2 * i + 1);
  std::vector<std::future<bool>> callers;
  for (int t = 0; t < 4; ++t) {
    callers.push_back(std::async(std::launch::async, [&caller, t] {
      for (int i = 0; i < 25; ++i) {
        if (caller.call("com.app.twice", {t * 100 + i}).value() != 2 * (t * 100 + i)) return false;
      }
      return true;
    }));
  }
  for (auto& c : callers) CHECK(c.get());
  f.stop_clients();
  callee.stop();
}

TEST_CASE("clients of the embeddable router's in-process connections", "[client][e2e]") {
  router::router_config config;
  config.realms.emplace_back().name = "realm1";
  router::router r(config);
  const w::serializer* s = GENERATE(&w::json_serializer(), &w::msgpack_serializer());
  client_options o;
  o.connect = [&r, s](boost::asio::any_io_executor ex, const std::string&, w::connect_handler done) {
    auto conn = r.connect_inprocess(ex, s);
    boost::asio::post(ex, [done, conn] { done({}, conn); });
  };
  AutobahnSync callee({}, o), caller({}, o);
  // The router stops before the clients are destroyed: an in-process peer posts into the
  // client's io_context, which must not be gone while the router's thread may still post.
  struct stop_router_first {
    router::router& r;
    ~stop_router_first() { r.stop(); }
  } guard{r};
  callee.register_procedure("com.app.mul", [](const w::list& a, const w::dict&, const invocation_details&) {
    return call_result{{a.at(0).get<int>() * a.at(1).get<int>()}};
  });
  testing::event_recorder events;
  callee.subscribe("com.app.tick", events.handler());
  callee.run();
  caller.run();
  CHECK(caller.session().call("com.app.mul", {6, 7}).value() == 42);
  caller.session().publish("com.app.tick", {1}, {}, publish_options{.acknowledge = true});
  REQUIRE(events.wait_for(1));
  CHECK(events.items()[0].args == w::list{1});
  CHECK(r.connection_count() == 2);
  caller.stop();
  callee.stop();
}

TEST_CASE("connecting to a closed port is ConnectionRefusedError", "[client][e2e][loopback]") {
  // A socket bound to a port but not listening: connecting is refused, and nobody else can
  // take the port meanwhile (a closed listener's port could be reused by a parallel test).
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor bound(io);
  bound.open(boost::asio::ip::tcp::v4());
  bound.bind({boost::asio::ip::make_address("127.0.0.1"), 0});
  const auto port = bound.local_endpoint().port();
  AutobahnSync app;
  CHECK_THROWS_AS(app.run("rs://127.0.0.1:" + std::to_string(port), "realm1"), ConnectionRefusedError);
  CHECK_THROWS_AS(app.run("ws://127.0.0.1:" + std::to_string(port) + "/ws", "realm1"), ConnectionRefusedError);
  CHECK_THROWS_AS(app.run("not a url", "realm1"), ConnectionRefusedError);
  // Saying what is wrong with it.
  CHECK_THROWS_WITH(app.run("foo://127.0.0.1:1", "realm1"), Catch::Matchers::StartsWith("invalid router URL \"foo://127.0.0.1:1\": "));
}

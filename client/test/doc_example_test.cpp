// The example of docs/client.md, compiled and run against an embedded router (the only
// change: client_options::connect hands the client an in-process connection).
#include "client/autobahn_sync.hpp"

#include <future>

#include <catch2/catch.hpp>

#include "router/router.hpp"

namespace as = autobahn_sync;
using namespace std::chrono_literals;

TEST_CASE("the docs/client.md example runs as written", "[client][doc]") {
  as::router::router_config config;
  config.realms.push_back(as::router::realm_config{"realm1"});
  as::router::router r(config);
  as::client_options options;
  options.connect = [&r](boost::asio::any_io_executor ex, const std::string&,
                         as::wamp::connect_handler done) {
    auto conn = r.connect_inprocess(ex);
    boost::asio::post(ex, [done, conn] { done({}, conn); });
  };
  std::promise<std::string> happened;

  // ---- the example ----
  as::AutobahnSync app({}, options);
  app.subscribe("com.app.event", [&](const as::wamp::list& args, const as::wamp::dict&,
                                     const as::event_details& details) {
    happened.set_value(args.at(0).get<std::string>() + " happened on " + details.topic);
  });
  app.register_procedure("com.app.add", [](const as::wamp::list& args, const as::wamp::dict&,
                                           const as::invocation_details&) {
    return as::call_result{{args.at(0).get<int>() + args.at(1).get<int>()}};
  });
  app.run("ws://127.0.0.1:8080/ws", "realm1");
  as::publish_options to_me;  // the example's subscriber is this same session
  to_me.exclude_me = false;
  app.session().publish("com.app.event", {"trigger !"}, {}, to_me);
  int sum = app.session().call("com.app.add", {2, 3}).value().get<int>();
  // ---- end of the example (stop() below) ----

  CHECK(sum == 5);
  auto f = happened.get_future();
  REQUIRE(f.wait_for(10s) == std::future_status::ready);
  CHECK(f.get() == "trigger ! happened on com.app.event");
  app.stop();
  r.stop();
}

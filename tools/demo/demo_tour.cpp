// The README's main job: a tour of the embedded router and the synchronous client, in one
// process and in under a second. It starts a router, joins clients, calls, publishes,
// authenticates with WAMP-CRA, injects a fault keyed to a protocol event, and prints what
// happened and what a call costs. Run by the `demo` binary (tools/demo.sh) and `wamp demo`.
#include "tools/demo/demo_tour.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "client/autobahn_sync.hpp"
#include "router/router.hpp"
#include "testing/faulty_connection.hpp"
#include "wamp/auth/wampcra.hpp"
#include "wamp/transport/inprocess.hpp"

namespace autobahn_sync::tools {

namespace wamp = autobahn_sync::wamp;
namespace router = autobahn_sync::router;
namespace testing = autobahn_sync::testing;
using autobahn_sync::AutobahnSync;
using autobahn_sync::call_result;

namespace {

// Connections to `r` through a fault plan, named `name` in the trace.
autobahn_sync::client_options through(router::router& r, const wamp::serializer* s,
                                      std::shared_ptr<testing::fault_plan> plan = nullptr,
                                      std::shared_ptr<testing::message_trace> trace = nullptr,
                                      std::string name = "client") {
  autobahn_sync::client_options o;
  o.connect = [&r, s, plan, trace, name](boost::asio::any_io_executor ex, const std::string&,
                                          wamp::connect_handler done) {
    auto [client_end, router_end] = wamp::make_inprocess_pair(ex, r.get_executor(), s);
    if (plan) {
      r.attach(testing::faulty_connection::wrap(router_end, name, plan, trace));
    } else {
      r.attach(router_end);
    }
    done({}, client_end);
  };
  return o;
}

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))];
}

void step(const char* what) { std::printf("\n== %s\n", what); }

}  // namespace

int run_demo_tour() {
  const auto started = std::chrono::steady_clock::now();
  router::router_config config;
  router::realm_config realm{"realm1"};
  router::user alice{"alice", "user", "wampcra", "s3cret"};
  alice.salt = "pepper";
  alice.iterations = 1000;
  realm.users.push_back(alice);
  config.realms.push_back(realm);
  router::router r(config);
  std::printf("embedded router up in %.0f us\n",
              std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - started).count());

  step("RPC: register and call, in-process");
  for (const wamp::serializer* s : {&wamp::json_serializer(), &wamp::msgpack_serializer(),
                                    static_cast<const wamp::serializer*>(nullptr)}) {
    AutobahnSync callee({}, through(r, s)), caller({}, through(r, s));
    callee.register_procedure("com.example.add", [](const wamp::list& args, const wamp::dict&,
                                                     const autobahn_sync::invocation_details&) {
      return call_result{{args.at(0).get<int>() + args.at(1).get<int>()}};
    });
    callee.run("inprocess://callee", "realm1");
    caller.run("inprocess://caller", "realm1");
    std::vector<double> us;
    for (int i = 0; i < 3000; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      const auto v = caller.session().call("com.example.add", {i, 1}).value();
      us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
      if (v != i + 1) return std::printf("wrong result %s\n", v.dump().c_str()), 1;
    }
    std::printf("  %-8s 3000 calls: p50 %6.1f us  p99 %6.1f us\n", s ? std::string(s->subprotocol()).substr(7).c_str() : "none",
                percentile(us, 0.5), percentile(us, 0.99));
    caller.stop();
    callee.stop();
  }

  step("PubSub: 1000 events to a subscriber");
  {
    AutobahnSync subscriber({}, through(r, &wamp::msgpack_serializer()));
    AutobahnSync publisher({}, through(r, &wamp::msgpack_serializer()));
    std::mutex m;
    std::condition_variable cv;
    int received = 0;
    subscriber.subscribe("com.example.tick", [&](const wamp::list&, const wamp::dict&, const autobahn_sync::event_details&) {
      std::lock_guard lock(m);
      if (++received == 1000) cv.notify_all();
    });
    subscriber.run("inprocess://sub", "realm1");
    publisher.run("inprocess://pub", "realm1");
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 1000; ++i) publisher.session().publish("com.example.tick", {i});
    std::unique_lock lock(m);
    cv.wait_for(lock, std::chrono::seconds(10), [&] { return received == 1000; });
    std::printf("  %d events received in %.1f ms\n", received,
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    lock.unlock();
    publisher.stop();
    subscriber.stop();
  }

  step("Authentication: WAMP-CRA with a salted secret");
  {
    auto options = through(r, &wamp::json_serializer());
    options.secret = "s3cret";
    AutobahnSync client({"wampcra"}, options);
    client.run("inprocess://alice", "realm1", {"wampcra"}, "alice");
    const auto details = client.session().welcome_details();
    std::printf("  joined as %s (role %s, method %s)\n", details.at("authid").get<std::string>().c_str(),
                details.at("authrole").get<std::string>().c_str(), details.at("authmethod").get<std::string>().c_str());
    client.stop();
    options.secret = "wrong";
    AutobahnSync impostor({"wampcra"}, options);
    try {
      impostor.run("inprocess://impostor", "realm1", {"wampcra"}, "alice");
      std::printf("  the impostor got in: BUG\n");
      return 1;
    } catch (const autobahn_sync::AbortError& e) {
      std::printf("  a wrong secret is refused: %s\n", e.reason().c_str());
    }
  }

  step("Fault injection: the router's RESULT to the 2nd call is lost");
  {
    auto plan = testing::fault_plan::create();
    auto trace = std::make_shared<testing::message_trace>();
    auto rule = plan->install(testing::match().type(wamp::message_type::result).nth(2), testing::fault::drop(),
                              "lose the 2nd RESULT");
    AutobahnSync callee({}, through(r, &wamp::json_serializer()));
    AutobahnSync caller({}, through(r, &wamp::json_serializer(), plan, trace, "caller"));
    callee.register_procedure("com.example.ping", [](const wamp::list&, const wamp::dict&,
                                                      const autobahn_sync::invocation_details&) {
      return call_result{{"pong"}};
    });
    callee.run("inprocess://callee", "realm1");
    caller.run("inprocess://caller", "realm1");
    for (int i = 1; i <= 3; ++i) {
      autobahn_sync::call_options o;
      o.timeout = std::chrono::milliseconds(200);
      try {
        const auto v = caller.session().call("com.example.ping", {}, {}, o).value();
        std::printf("  call %d: %s\n", i, v.dump().c_str());
      } catch (const autobahn_sync::ApplicationError& e) {
        std::printf("  call %d: %s (after its 200 ms timeout)\n", i, e.error().c_str());
      }
    }
    std::printf("  the trace of the caller's connection:\n");
    for (const auto& e : trace->entries()) std::printf("    %s\n", e.format().c_str());
    caller.stop();
    callee.stop();
  }

  r.stop();
  std::printf("\ndone in %.0f ms\n",
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count());
  return 0;
}

}  // namespace autobahn_sync::tools

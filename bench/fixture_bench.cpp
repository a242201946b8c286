// What a test pays per fixture: starting an embedded router with a realm, joining a session
// in-process, and making the first call. Three levels, from the sans-I/O core (no threads) to
// the full Asio router with a blocking client (two threads started and joined per iteration).
#include <memory>
#include <string>

#include <benchmark/benchmark.h>

#include "bench/latency_recorder.hpp"
#include "client/autobahn_sync.hpp"
#include "router/router.hpp"
#include "router/router_core.hpp"
#include "wamp/transport/inprocess.hpp"

namespace wamp = autobahn_sync::wamp;
namespace router = autobahn_sync::router;

namespace {

router::router_config one_realm() {
  router::router_config c;
  c.realms.push_back({"realm1"});
  return c;
}

// The sans-I/O core: construct, attach a session, HELLO -> WELCOME, CALL wamp.session.count.
void BM_core_start_join_call(benchmark::State& state) {
  autobahn_sync::bench::latency_recorder latency;
  for (auto _ : state) {
    latency.measure([&] {
      router::router_core core;
      core.add_realm(router::realm_config{"realm1"});
      wamp::message last;
      const auto s = core.attach({[&last](wamp::message&& m) { last = std::move(m); }, [] {}});
      core.receive(s, wamp::hello{"realm1", {{"roles", wamp::dict{{"caller", wamp::dict{}}}}}});
      core.receive(s, wamp::call{1, {}, "wamp.session.count"});
      benchmark::DoNotOptimize(std::get<wamp::result>(last));
    });
  }
  latency.report(state);
}

// The Asio router on its own thread, an AutobahnSync client over an in-process connection:
// start both, join, first call (a meta procedure), stop both.
void BM_router_start_join_call(benchmark::State& state) {
  autobahn_sync::bench::latency_recorder latency;
  for (auto _ : state) {
    latency.measure([&] {
      router::router r(one_realm());
      autobahn_sync::client_options options;
      options.connect = [&r](boost::asio::any_io_executor ex, const std::string&, wamp::connect_handler done) {
        auto pair = wamp::make_inprocess_pair(ex, r.get_executor(), nullptr);
        r.attach(pair.second);
        done({}, pair.first);
      };
      autobahn_sync::AutobahnSync client({}, options);
      client.run("inprocess://", "realm1");
      benchmark::DoNotOptimize(client.session().call("wamp.session.count").value());
      client.stop();
      r.stop();
    });
  }
  latency.report(state);
}

}  // namespace

BENCHMARK(BM_core_start_join_call)->UseRealTime();
BENCHMARK(BM_router_start_join_call)->UseRealTime()->MinTime(1.0);

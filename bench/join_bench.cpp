// Session join time over RawSocket + MsgPack (connect, HELLO, any challenge, WELCOME): what
// AutobahnSync::run() costs per authentication method. stop() is outside the measurement.
#include <benchmark/benchmark.h>

#include "bench/bench_router.hpp"
#include "bench/latency_recorder.hpp"
#include "wamp/auth/cryptosign.hpp"

namespace wamp = autobahn_sync::wamp;
using namespace autobahn_sync;
using namespace autobahn_sync::bench;

namespace {

const std::string seed_hex(64, '5');

router::realm_config secured() {
  router::realm_config r{"realm1"};
  r.allow_anonymous = true;
  r.users.push_back({.authid = "tim", .role = "user", .method = "ticket", .secret = "t1cket"});
  r.users.push_back({.authid = "sally", .role = "user", .method = "wampcra", .secret = "pepper",
                     .salt = "salt123", .iterations = 1000, .keylen = 32});
  r.users.push_back({.authid = "sig", .role = "user", .method = "cryptosign",
                     .public_keys = {wamp::auth::ed25519_key::from_seed_hex(seed_hex)->public_key_hex()}});
  return r;
}

void BM_join(benchmark::State& state) {
  static const char* methods[] = {"anonymous", "ticket", "wampcra", "cryptosign"};
  static const char* authids[] = {"", "tim", "sally", "sig"};
  const int m = static_cast<int>(state.range(0));
  bench_router router(rawsocket, secured());
  auto options = router.options(wamp::serializer_kind::msgpack);
  options.ticket = "t1cket";
  options.secret = "pepper";
  options.private_key = seed_hex;
  latency_recorder latency;
  for (auto _ : state) {
    AutobahnSync app({methods[m]}, options);
    latency.measure([&] { app.run(router.url(), "realm1", {}, authids[m]); });
    state.PauseTiming();
    app.stop();
    state.ResumeTiming();
  }
  latency.report(state);
  state.SetLabel(std::string("rawsocket/msgpack/") + methods[m] + (m == 2 ? " (salted, 1000 iterations)" : ""));
}

}  // namespace

BENCHMARK(BM_join)->DenseRange(0, 3)->UseRealTime();

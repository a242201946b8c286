// Calls per second through the router with concurrent callers: N threads sharing one caller
// session, and N threads each with its own session; one callee echoing 16 bytes, with the
// default options (one callbacks thread, which reads the invocations while it is idle; until
// 2026-11-27 the callee had two callbacks threads). The callers have an I/O thread each, or
// none (client_options::caller_driven_io: the waiting callers read the connection
// themselves, taking turns on a shared session), or an I/O thread that reads every answer
// (client_options::callers_read = false, the default before 2026-11-27).
#include <memory>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench/bench_router.hpp"

namespace wamp = autobahn_sync::wamp;
using namespace autobahn_sync;
using namespace autobahn_sync::bench;

namespace {

constexpr int calls_per_iteration = 2000;

void BM_concurrent_calls(benchmark::State& state) {
  const auto t = static_cast<transport>(state.range(0));
  const int threads = static_cast<int>(state.range(1));
  const bool separate_sessions = state.range(2) != 0;
  const bool caller_driven = state.range(3) == 1;
  const bool io_thread_reads = state.range(3) == 2;
  const auto kind = wamp::serializer_kind::msgpack;
  bench_router router(t);
  auto options = router.options(kind);
  AutobahnSync callee({}, options);
  callee.register_procedure("bench.echo", [](const wamp::list& args, const wamp::dict&, const invocation_details&) {
    return call_result{args};
  });
  callee.run(router.url(), "realm1");
  std::vector<std::unique_ptr<AutobahnSync>> callers;
  auto caller_options = router.options(kind);
  caller_options.caller_driven_io = caller_driven;
  caller_options.callers_read = !io_thread_reads;
  for (int i = 0; i < (separate_sessions ? threads : 1); ++i) {
    callers.push_back(std::make_unique<AutobahnSync>(std::vector<std::string>{}, caller_options));
    callers.back()->run(router.url(), "realm1");
  }
  const wamp::list args{std::string(16, 'x')};
  for (auto _ : state) {
    std::vector<std::thread> workers;
    for (int i = 0; i < threads; ++i) {
      auto& session = callers[separate_sessions ? i : 0]->session();
      workers.emplace_back([&session, &args, n = calls_per_iteration / threads] {
        for (int k = 0; k < n; ++k) benchmark::DoNotOptimize(session.call("bench.echo", args));
      });
    }
    for (auto& w : workers) w.join();
  }
  state.SetItemsProcessed(state.iterations() * (calls_per_iteration / threads) * threads);
  state.SetLabel(std::string(transport_name(t)) + "/msgpack/" + std::to_string(threads) + " threads/" +
                 (separate_sessions ? "separate sessions" : "one session") +
                 (caller_driven ? "/caller-driven I/O" : "") + (io_thread_reads ? "/I/O thread reads everything" : ""));
  for (auto& c : callers) c->stop();
  callee.stop();
}

void concurrency_args(benchmark::internal::Benchmark* b) {
  for (int t : {inprocess, rawsocket})
    for (int threads : {1, 2, 8, 64})
      for (int separate : {0, 1}) {
        if (threads == 1 && separate) continue;
        b->Args({t, threads, separate, 0});
      }
  for (int threads : {1, 8, 64})
    for (int separate : {0, 1}) {
      if (threads == 1 && separate) continue;
      b->Args({rawsocket, threads, separate, 1});
    }
  for (int separate : {0, 1}) b->Args({websocket, 8, separate, 0});
  // What callers_read changes: the same callers with their I/O threads reading every answer.
  for (int separate : {0, 1}) b->Args({rawsocket, 8, separate, 2});
}

}  // namespace

BENCHMARK(BM_concurrent_calls)->Apply(concurrency_args)->UseRealTime()->Unit(benchmark::kMillisecond);

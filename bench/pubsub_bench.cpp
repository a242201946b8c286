// Publish/subscribe through the router over RawSocket + MsgPack: events per second delivered
// to 1 and to 100 subscriber sessions, and publish-to-receive latency (p50/p99).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench/bench_router.hpp"
#include "bench/latency_recorder.hpp"

namespace wamp = autobahn_sync::wamp;
using namespace autobahn_sync;
using namespace autobahn_sync::bench;

namespace {

constexpr auto kind = wamp::serializer_kind::msgpack;

// Counts deliveries and wakes the publisher when a target is reached.
struct delivery_counter {
  std::mutex mutex;
  std::condition_variable reached;
  std::uint64_t delivered = 0;

  void add() {
    std::lock_guard lock(mutex);
    ++delivered;
    reached.notify_all();
  }
  void wait_for(std::uint64_t target) {
    std::unique_lock lock(mutex);
    reached.wait(lock, [&] { return delivered >= target; });
  }
};

void BM_events_delivered(benchmark::State& state) {
  const int subscribers = static_cast<int>(state.range(0));
  constexpr int events_per_iteration = 1000;
  bench_router router(rawsocket);
  delivery_counter counter;
  std::vector<std::unique_ptr<AutobahnSync>> subs;
  for (int i = 0; i < subscribers; ++i) {
    subs.push_back(std::make_unique<AutobahnSync>(std::vector<std::string>{}, router.options(kind)));
    subs.back()->subscribe("bench.tick", [&](const wamp::list&, const wamp::dict&, const event_details&) { counter.add(); });
    subs.back()->run(router.url(), "realm1");
  }
  AutobahnSync publisher({}, router.options(kind));
  publisher.run(router.url(), "realm1");
  const wamp::list args{std::string(16, 'x')};
  std::uint64_t target = 0;
  for (auto _ : state) {
    for (int i = 0; i < events_per_iteration; ++i) publisher.session().publish("bench.tick", args);
    target += static_cast<std::uint64_t>(events_per_iteration) * subscribers;
    counter.wait_for(target);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(target));
  state.SetLabel("rawsocket/msgpack/" + std::to_string(subscribers) + " subscribers (items = deliveries)");
  publisher.stop();
  for (auto& s : subs) s->stop();
}

void BM_publish_to_receive(benchmark::State& state) {
  bench_router router(rawsocket);
  using clock = std::chrono::steady_clock;
  std::atomic<clock::rep> received_at{0};
  delivery_counter counter;
  AutobahnSync subscriber({}, router.options(kind));
  subscriber.subscribe("bench.ping", [&](const wamp::list&, const wamp::dict&, const event_details&) {
    received_at = clock::now().time_since_epoch().count();
    counter.add();
  });
  subscriber.run(router.url(), "realm1");
  AutobahnSync publisher({}, router.options(kind));
  publisher.run(router.url(), "realm1");
  latency_recorder latency;
  const wamp::list args{std::string(16, 'x')};
  std::uint64_t n = 0;
  for (auto _ : state) {
    const auto sent = clock::now();
    publisher.session().publish("bench.ping", args);
    counter.wait_for(++n);
    latency.add(clock::duration(received_at.load()) - sent.time_since_epoch());
  }
  latency.report(state);
  state.SetLabel("rawsocket/msgpack/16B");
  publisher.stop();
  subscriber.stop();
}

}  // namespace

BENCHMARK(BM_events_delivered)->Arg(1)->Arg(100)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_publish_to_receive)->UseRealTime();

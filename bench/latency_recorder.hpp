// Per-iteration latency samples for Google Benchmark, reported as counters p50_us and p99_us
// next to the library's mean, so every benchmark row carries its distribution.
//
// Not thread-safe: one recorder per benchmark thread.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <vector>

#include <benchmark/benchmark.h>

namespace autobahn_sync::bench {

class latency_recorder {
 public:
  using clock = std::chrono::steady_clock;

  latency_recorder() { samples_.reserve(1 << 16); }

  void add(clock::duration d) { samples_.push_back(d); }

  /// Times one call of `f` and records it.
  template <class F>
  void measure(F&& f) {
    const auto start = clock::now();
    f();
    add(clock::now() - start);
  }

  /// The q-quantile (0..1) in microseconds; 0 without samples.
  double quantile_us(double q) {
    if (samples_.empty()) return 0;
    const auto index = static_cast<std::size_t>(q * static_cast<double>(samples_.size() - 1));
    std::nth_element(samples_.begin(), samples_.begin() + static_cast<std::ptrdiff_t>(index),
                     samples_.end());
    return std::chrono::duration<double, std::micro>(samples_[index]).count();
  }

  /// Writes p50_us and p99_us into the benchmark's counters.
  void report(benchmark::State& state) {
    state.counters["p50_us"] = quantile_us(0.50);
    state.counters["p99_us"] = quantile_us(0.99);
  }

 private:
  std::vector<clock::duration> samples_;
};

}  // namespace autobahn_sync::bench

// How long the busy-polling rows of the benchmarks poll before they sleep: the router's
// router_options::busy_poll in call_bench, and its baseline in tcp_baseline_bench, a relay
// that polls as long. On this project's VM a 30 us spin caught the callee's answer only in
// some runs (it comes a few tens of microseconds after the INVOCATION); 100 us in all.
#pragma once

#include <chrono>

namespace autobahn_sync::bench {

inline constexpr std::chrono::microseconds busy_poll_spin{100};

}  // namespace autobahn_sync::bench

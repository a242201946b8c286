// How long the busy-polling rows of the benchmarks poll before they sleep: the router's
// router_options::busy_poll in call_bench, and its baseline in tcp_baseline_bench, a relay
// that polls as long. A call's answer comes back to the router 40-100 us after the
// INVOCATION went out on a small VM, so a shorter spin mostly misses it.
#pragma once

#include <chrono>

namespace autobahn_sync::bench {

inline constexpr std::chrono::microseconds busy_poll_spin{100};

}  // namespace autobahn_sync::bench

#pragma once
// The delay before each reconnect attempt (client_options::reconnect).

#include <algorithm>
#include <chrono>
#include <cmath>

#include "client/options.hpp"

namespace autobahn_sync::detail {

/// The delay before attempt `attempt` (0: the first after a loss), given the delay before the
/// previous one. The first waits initial_delay (0: at once); each later one grows by
/// `multiplier` up to max_delay, and is at least 1 ms, so that a zero initial delay, a
/// multiplier below 1 or a zero max_delay never makes a loop of back-to-back attempts
/// against a router that refuses.
inline std::chrono::milliseconds reconnect_delay(const reconnect_options& r, int attempt,
                                                 std::chrono::milliseconds previous) {
  using std::chrono::milliseconds;
  if (attempt == 0) return std::max(r.initial_delay, milliseconds(0));
  const double multiplier = std::isfinite(r.multiplier) ? std::max(r.multiplier, 1.0) : 1.0;
  const double grown = static_cast<double>(previous.count()) * multiplier;
  const double ceiling = static_cast<double>(r.max_delay.count());
  const auto next = milliseconds(static_cast<milliseconds::rep>(std::min(grown, ceiling)));
  return std::max(next, milliseconds(1));
}

}  // namespace autobahn_sync::detail

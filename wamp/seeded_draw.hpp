// `draw(rng, lo, hi)`: a value in [lo, hi] from a std::mt19937_64, the same for a seed on
// every standard library. std::uniform_int_distribution leaves its algorithm to the library,
// so a seed drawn through it replays only where it was drawn (libstdc++ vs libc++); what a
// seed must replay (ids, the dealer's "random" policy, a swarm's faults) draws through this.
// Thread safety: as the generator.
#pragma once

#include <cstdint>
#include <limits>
#include <random>

namespace autobahn_sync::wamp {

/// Uniform in [lo, hi] (lo <= hi), by rejection: a raw draw above the largest multiple of
/// the range's size is drawn again, so no value is favoured.
inline std::uint64_t draw(std::mt19937_64& rng, std::uint64_t lo, std::uint64_t hi) {
  constexpr auto max = std::numeric_limits<std::uint64_t>::max();
  const std::uint64_t span = hi - lo;  // the range has span + 1 values
  if (span == max) return rng();
  const std::uint64_t size = span + 1;
  const std::uint64_t limit = max - (max % size + 1) % size;  // draws above it are biased
  std::uint64_t x = rng();
  while (x > limit) x = rng();
  return lo + x % size;
}

}  // namespace autobahn_sync::wamp

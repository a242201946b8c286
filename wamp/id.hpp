// WAMP ids (specification, "IDs"): integers in 1..2^53.
//
// - Global scope (session ids, publication ids): drawn at random over the whole range, from
//   a seedable generator so simulations replay exactly.
// - Router and session scope (subscription/registration ids, request ids): sequential from 1,
//   wrapping back to 1 after 2^53.
//
// Thread safety: distinct objects are independent; a shared object is not thread-safe.
#pragma once

#include <cstdint>
#include <random>

#include "wamp/seeded_draw.hpp"
#include "wamp/value.hpp"

namespace autobahn_sync::wamp {

/// True when `value` is a valid id (1..2^53).
constexpr bool is_valid_id(std::uint64_t value) noexcept { return value >= 1 && value <= max_id; }

/// A seed from the operating system's entropy source (std::random_device).
std::uint64_t random_seed();

/// Random ids in 1..2^53, reproducible from the seed.
class random_id_source {
 public:
  explicit random_id_source(std::uint64_t seed) : engine_(seed) {}
  random_id_source() : random_id_source(random_seed()) {}

  id next() { return draw(engine_, 1, max_id); }

 private:
  std::mt19937_64 engine_;
};

/// Sequential ids 1, 2, 3, ..., wrapping to 1 after 2^53.
class sequential_id_source {
 public:
  id next() noexcept {
    last_ = last_ >= max_id ? 1 : last_ + 1;
    return last_;
  }

 private:
  id last_ = 0;
};

}  // namespace autobahn_sync::wamp

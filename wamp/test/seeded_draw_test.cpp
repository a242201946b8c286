#include "wamp/seeded_draw.hpp"

#include <array>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "wamp/value.hpp"

namespace w = autobahn_sync::wamp;

TEST_CASE("a seed draws the same values on every standard library", "[unit]") {
  // std::mt19937_64's output is fixed by the standard; so is draw()'s arithmetic on it. These
  // are the values every build must give (std::uniform_int_distribution's may differ).
  std::mt19937_64 rng(42);
  std::vector<std::uint64_t> got;
  for (int i = 0; i < 8; ++i) got.push_back(w::draw(rng, 0, 9));
  CHECK(got == std::vector<std::uint64_t>{6, 4, 0, 2, 1, 8, 6, 4});
  std::mt19937_64 ids(7);
  CHECK(w::draw(ids, 1, w::max_id) == 8836989355219368);
}

TEST_CASE("draw stays in its range and leaves out the raw values that would favour some", "[unit]") {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 1000; ++i) {
    const auto v = w::draw(rng, 5, 7);
    REQUIRE((v >= 5 && v <= 7));
  }
  std::mt19937_64 one(3);
  CHECK(w::draw(one, 4, 4) == 4);
  // Over 2^63 + 1 values, raw draws above 2^63 would make the low values twice as likely:
  // they are drawn again, so the result is the first raw draw not above 2^63.
  constexpr std::uint64_t half = std::uint64_t{1} << 63;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    std::mt19937_64 a(seed), b(seed);
    std::uint64_t raw = b();
    while (raw > half) raw = b();
    REQUIRE(w::draw(a, 0, half) == raw);
  }
  // The whole 64-bit range is the raw draw itself.
  std::mt19937_64 c(9), d(9);
  CHECK(w::draw(c, 0, std::numeric_limits<std::uint64_t>::max()) == d());
}

TEST_CASE("a seed's values fall evenly over a small range", "[unit]") {
  std::mt19937_64 rng(2024);
  std::array<int, 6> counts{};
  for (int i = 0; i < 60000; ++i) ++counts[w::draw(rng, 0, 5)];
  for (int c : counts) CHECK((c > 9500 && c < 10500));  // 10000 each, give or take 5 sigma
}

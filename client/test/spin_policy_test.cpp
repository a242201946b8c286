// The spin policy: spin while recent hand-offs came within the spin, stop once they take
// longer, start again when they are fast again; one slow answer does not stop it.
#include "client/spin_policy.hpp"

#include <catch2/catch.hpp>

using autobahn_sync::spin_policy;
using namespace std::chrono_literals;

TEST_CASE("spin policy: spins while hand-offs come within the spin", "[unit]") {
  spin_policy p(20us);
  CHECK(p.spin_now() == 20us);  // nothing learnt yet
  for (int i = 0; i < 50; ++i) p.record(5us);
  CHECK(p.spin_now() == 20us);
  p.record(-3us);  // the answer was there before the wait began
  CHECK(p.spin_now() == 20us);
}

TEST_CASE("spin policy: stops spinning when hand-offs take longer, and starts again", "[unit]") {
  spin_policy p(20us);
  for (int i = 0; i < 50; ++i) p.record(150us);  // a RawSocket round trip on a small VM
  CHECK(p.spin_now() == 0us);
  for (int i = 0; i < 50; ++i) p.record(5us);
  CHECK(p.spin_now() == 20us);
}

TEST_CASE("spin policy: one slow answer among fast ones does not stop the spin", "[unit]") {
  spin_policy p(20us);
  for (int i = 0; i < 50; ++i) p.record(5us);
  p.record(30s);  // a call that timed out
  CHECK(p.spin_now() == 20us);
}

TEST_CASE("spin policy: no spin configured, none ever", "[unit]") {
  spin_policy p;
  CHECK(p.spin_now() == 0us);
  p.record(1us);
  CHECK(p.spin_now() == 0us);
  p.set_spin(10us);
  CHECK(p.spin_now() == 10us);
}

// `spin_policy`: whether a thread about to sleep until another thread hands it something (a
// blocked caller its answer, an idle callbacks thread its next handler) should spin for it
// first. Spinning pays when the hand-off usually comes within the spin: waking a sleeping
// thread costs tens of microseconds on a small VM. When it usually takes longer, the spin
// only burns a core the other threads need to produce the answer (8 callers on 2 cores).
//
// The policy keeps a moving average of how long recent hand-offs took, measured up to when
// the thing was handed over (not to when the sleeper woke, so sleeping does not make the
// next ones look slower), and says to spin while that average is within the spin.
//
// Thread safety: shared objects are safe; concurrent record() calls may lose a sample (it is
// a statistic).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace autobahn_sync {

class spin_policy {
 public:
  explicit spin_policy(std::chrono::microseconds spin = std::chrono::microseconds(0)) noexcept
      : spin_ns_(std::chrono::nanoseconds(spin).count()) {}

  /// Sets the spin (before the policy is shared between threads).
  void set_spin(std::chrono::microseconds spin) noexcept {
    spin_ns_ = std::chrono::nanoseconds(spin).count();
  }

  /// How long to spin now: the configured spin, or zero when recent hand-offs took longer.
  std::chrono::nanoseconds spin_now() const noexcept {
    if (spin_ns_ <= 0 || average_ns_.load(std::memory_order_relaxed) > spin_ns_) return {};
    return std::chrono::nanoseconds(spin_ns_);
  }

  /// Records that a hand-off took `took` (negative: it was there before the wait began).
  /// A sample counts as at most twice the spin, so one slow answer (a timeout, a long
  /// handler) does not turn the spin off for the many fast ones after it.
  void record(std::chrono::nanoseconds took) noexcept {
    std::int64_t sample = took.count() < 0 ? 0 : took.count();
    if (sample > 2 * spin_ns_) sample = 2 * spin_ns_;
    const std::int64_t average = average_ns_.load(std::memory_order_relaxed);
    average_ns_.store(average + (sample - average) / 8, std::memory_order_relaxed);
  }

 private:
  std::int64_t spin_ns_;
  std::atomic<std::int64_t> average_ns_{0};
};

}  // namespace autobahn_sync

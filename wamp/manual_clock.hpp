// `manual_clock`: virtual time for tests. The router (core_options::clock) and the client
// (client_options::clock) can both be given one; a 30 s call timeout is then tested by
// advance(30s), in microseconds of real time, with no sleep.
//
// Listeners registered with on_advance() run after every advance() (on the advancing thread):
// clients use it to wake callers whose deadline passed, the testing fixture to make the
// router expire its timeouts.
//
// Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

namespace autobahn_sync::wamp {

class manual_clock {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  /// Starts at `start` (a fixed point, so runs are reproducible).
  explicit manual_clock(time_point start = time_point(std::chrono::hours(1))) : now_(start) {}

  time_point now() const {
    std::lock_guard lock(mutex_);
    return now_;
  }

  /// Moves time forward by `d` and runs every listener.
  void advance(std::chrono::steady_clock::duration d) {
    std::map<std::uint64_t, std::function<void()>> listeners;
    {
      std::lock_guard lock(mutex_);
      now_ += d;
      listeners = listeners_;
    }
    for (auto& [key, f] : listeners) f();
  }

  /// Runs `f` after each advance(); returns a key for remove_listener().
  std::uint64_t on_advance(std::function<void()> f) {
    std::lock_guard lock(mutex_);
    listeners_.emplace(++last_key_, std::move(f));
    return last_key_;
  }
  void remove_listener(std::uint64_t key) {
    std::lock_guard lock(mutex_);
    listeners_.erase(key);
  }

  /// This clock as the router's core_options::clock wants it.
  std::function<time_point()> as_function() {
    return [this] { return now(); };
  }

 private:
  mutable std::mutex mutex_;
  time_point now_;
  std::map<std::uint64_t, std::function<void()>> listeners_;
  std::uint64_t last_key_ = 0;
};

}  // namespace autobahn_sync::wamp

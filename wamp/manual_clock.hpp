// `manual_clock`: virtual time for tests. The router (core_options::clock) and the client
// (client_options::clock) can both be given one; a 30 s call timeout is then tested by
// advance(30s), in microseconds of real time, with no sleep.
//
// Listeners registered with on_advance() run after every advance() (on the advancing thread):
// clients use it to wake callers whose deadline passed, the testing fixture to make the
// router expire its timeouts. Virtual timers (call_at()) run once advance() reaches their
// time; a simulation asks next_timer() how far it may jump.
//
// Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

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

  /// Moves time forward by `d`, runs the virtual timers that fell due (earliest first), then
  /// every listener.
  void advance(std::chrono::steady_clock::duration d) {
    std::map<std::uint64_t, std::function<void()>> listeners;
    std::vector<std::function<void()>> due;
    {
      std::lock_guard lock(mutex_);
      now_ += d;
      listeners = listeners_;
      while (!timers_.empty() && timers_.begin()->first.first <= now_) {
        due.push_back(std::move(timers_.begin()->second));
        timers_.erase(timers_.begin());
      }
    }
    for (auto& f : due) f();
    for (auto& [key, f] : listeners) f();
  }

  /// Runs `f` (on the advancing thread) once advance() reaches `at`; returns a key for
  /// cancel_timer(). `f` must not block; it typically posts work to an executor.
  std::uint64_t call_at(time_point at, std::function<void()> f) {
    std::lock_guard lock(mutex_);
    timers_.emplace(std::make_pair(at, ++last_key_), std::move(f));
    return last_key_;
  }
  void cancel_timer(std::uint64_t key) {
    std::lock_guard lock(mutex_);
    std::erase_if(timers_, [key](const auto& t) { return t.first.second == key; });
  }
  /// When the earliest virtual timer falls due, if any.
  std::optional<time_point> next_timer() const {
    std::lock_guard lock(mutex_);
    if (timers_.empty()) return std::nullopt;
    return timers_.begin()->first.first;
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
  // Ordered by time, then by creation: timers due together run in the order they were set.
  std::map<std::pair<time_point, std::uint64_t>, std::function<void()>> timers_;
  std::uint64_t last_key_ = 0;
};

}  // namespace autobahn_sync::wamp

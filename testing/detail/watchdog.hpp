#pragma once
// A thread that calls `on_expiry` when its owner is not destroyed within `limit` (real time):
// what turns a hang (a run that never ends, a handler that never returns) into a report
// instead of a silent wait for the test runner's timeout.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace autobahn_sync::testing::detail {

class watchdog {
 public:
  /// `on_expiry` runs on the watchdog's thread; the destructor waits for it to return.
  watchdog(std::chrono::milliseconds limit, std::function<void()> on_expiry)
      : thread_([this, limit, on_expiry = std::move(on_expiry)] {
          std::unique_lock lock(mutex_);
          // Longer than a year is no limit (and would overflow the clock's arithmetic).
          if (limit > std::chrono::hours(24 * 365)) return cv_.wait(lock, [&] { return done_; });
          if (cv_.wait_for(lock, limit, [&] { return done_; })) return;
          lock.unlock();
          on_expiry();
        }) {}
  ~watchdog() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  watchdog(const watchdog&) = delete;
  watchdog& operator=(const watchdog&) = delete;

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;  // last: started once the members it uses exist
};

}  // namespace autobahn_sync::testing::detail

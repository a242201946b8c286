// `recorder<T>`: collects what handlers receive on other threads, and lets a test wait until
// N items arrived, with a deadline (a hang guard, never a sleep). On timeout the test learns
// what did arrive. `event_recorder` records EVENTs of the synchronous client. In a
// simulation (simulation.hpp) a wait runs the simulation, and the deadline is virtual.
//
// Thread safety: shared objects are safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "client/types.hpp"
#include "testing/simulation.hpp"

namespace autobahn_sync::testing {

template <class T>
class recorder {
 public:
  void add(T item) {
    // Notified under the lock: a waiter that wakes may destroy the recorder at once, so the
    // handler must be done with it before the lock is released.
    std::lock_guard lock(mutex_);
    items_.push_back(std::move(item));
    changed_.notify_all();
  }

  /// Waits until at least `count` items arrived or `deadline` passed; true when they did.
  bool wait_for(std::size_t count, std::chrono::milliseconds deadline = std::chrono::seconds(10)) const {
    if (auto simulated = wait_in_simulation([&] { return size() >= count; }, deadline,
                                            "a recorder waiting for " + std::to_string(count) + " item(s)")) {
      return *simulated;
    }
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, deadline, [&] { return items_.size() >= count; });
  }

  /// Waits until `done(items)` holds (e.g. "a line starting with ..." arrived) or `deadline`
  /// passed; true when it did. `done` runs under the recorder's lock: it must not call back.
  template <class Done>
  bool wait_until(Done done, std::chrono::milliseconds deadline = std::chrono::seconds(10)) const {
    if (auto simulated = wait_in_simulation([&] { return done(items()); }, deadline, "a recorder waiting for a condition")) {
      return *simulated;
    }
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, deadline, [&] { return done(std::as_const(items_)); });
  }

  std::vector<T> items() const {
    std::lock_guard lock(mutex_);
    return items_;
  }

  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return items_.size();
  }

  /// What arrived, one per line (needs a `to_text(const T&)` found by lookup, or strings).
  std::string describe() const {
    std::ostringstream out;
    const auto all = items();
    out << all.size() << " arrived";
    for (const auto& item : all) out << "\n  " << describe_item(item);
    return out.str();
  }

 private:
  static std::string describe_item(const std::string& s) { return s; }
  template <class U>
  static std::string describe_item(const U& u) {
    return to_text(u);  // not describe(): the member would hide it
  }

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<T> items_;
};

/// One received event.
struct received_event {
  wamp::list args;
  wamp::dict kwargs;
  event_details details;
};

inline std::string to_text(const received_event& e) {
  return e.details.topic + " " + wamp::value(e.args).dump() + " " + wamp::value(e.kwargs).dump();
}

/// Records EVENTs: pass handler() to subscribe(). The handler may outlive the recorder (a
/// recorder local to a TEST_CASE_METHOD's body dies before the fixture stops its clients):
/// EVENTs that arrive after that are dropped, not written into a dead object.
class event_recorder : public recorder<received_event> {
 public:
  event_recorder() = default;
  event_recorder(const event_recorder&) = delete;
  event_recorder& operator=(const event_recorder&) = delete;
  ~event_recorder() {
    std::lock_guard lock(target_->mutex);
    target_->alive = nullptr;
  }

  event_handler handler() {
    return [target = target_](const wamp::list& args, const wamp::dict& kwargs, const event_details& details) {
      std::lock_guard lock(target->mutex);
      if (target->alive) target->alive->add({args, kwargs, details});
    };
  }

 private:
  struct target {
    explicit target(event_recorder* r) : alive(r) {}
    std::mutex mutex;
    event_recorder* alive;
  };
  std::shared_ptr<target> target_ = std::make_shared<target>(this);
};

}  // namespace autobahn_sync::testing

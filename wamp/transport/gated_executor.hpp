// `gated_executor`: a strand whose every function runs inside a `gate` (a mutex), so that
// another thread that takes the gate while the strand is idle may run the strand's work
// itself instead of posting it and waking the strand's thread. On a small machine each such
// wake costs 10-20 us of a call's round trip. The client's I/O executor and the router's
// executor are gated:
// - a blocked caller sends its own CALL and a handler thread its own YIELD
//   (try_run_inline from the client);
// - the in-process transport delivers a message on the sender's thread when the receiving
//   end's gate is free and accepts it (accepts_delivery()), and when this thread already
//   holds that gate (it is further up the stack: a router answering a client that is in the
//   middle of sending) it defers the delivery until the gate is released (defer()). So a
//   call between in-process clients of an embedded router can go there and back on the
//   threads that were awake anyway.
// Thread safety: shared objects are safe.
#pragma once

#include <atomic>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <type_traits>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/require.hpp>
#include <boost/asio/strand.hpp>

namespace autobahn_sync::wamp {

/// Mutual exclusion between the functions of a strand and threads that run the strand's
/// work inline. Thread safety: shared objects are safe.
class gate {
 public:
  /// True when this thread is inside the gate (running the strand's work, posted or inline),
  /// at any depth: a thread may hold several gates, one inside the other.
  bool held_here() const noexcept {
    for (const holder* h = top_; h; h = h->previous) {
      if (h->held == this) return true;
    }
    return false;
  }

  /// True when this thread holds a gate it took without being that gate's strand (an inline
  /// run or delivery): what runs here runs on a thread its owner did not give it.
  static bool borrowed_here() noexcept {
    for (const holder* h = top_; h; h = h->previous) {
      if (h->inline_run) return true;
    }
    return false;
  }

  /// Whether the owner accepts messages delivered inline (on the sender's thread, or when
  /// the holder releases the gate): only while nothing of its user's code runs on its
  /// executor as a message's consequence. Set by the owner.
  bool accepts_delivery() const noexcept { return accepts_delivery_.load(std::memory_order_acquire); }
  void set_accepts_delivery(bool accept) noexcept { accepts_delivery_.store(accept, std::memory_order_release); }

  /// Runs posted work `f` inside the gate (at once when this thread already holds it, as
  /// when the strand runs a function inline from inside another one), then counts it done.
  template <class F>
  void run_posted(F& f) {
    struct done_guard {
      gate& g;
      ~done_guard() { g.pending_.fetch_sub(1, std::memory_order_release); }
    };
    if (held_here()) {
      done_guard done{*this};
      return f();
    }
    std::lock_guard lock(mutex_);
    done_guard done{*this};  // counted done before the unlock: try_run_inline then finds it idle
    holder h(*this, false);
    run_then_drain(f);
  }

  /// Counts work handed to the strand (run_posted counts it done).
  void posted() noexcept { pending_.fetch_add(1, std::memory_order_relaxed); }

  /// Runs `f` (returning bool) inside the gate on this thread and returns its result when
  /// nothing is queued on the strand (so `f` cannot overtake work posted before it) and no
  /// thread is inside the gate; otherwise returns false without running it. Never blocks.
  /// (Spinning until the gate is free measured no better on 2 cores: more switches.)
  template <class F>
  bool try_run_inline(F&& f) {
    if (held_here() || pending_.load(std::memory_order_acquire) != 0) return false;
    std::unique_lock lock(mutex_, std::try_to_lock);
    if (!lock || pending_.load(std::memory_order_acquire) != 0) return false;
    holder h(*this, true);
    bool ran = false;
    run_then_drain([&] { ran = std::forward<F>(f)(); });
    return ran;
  }

  /// Runs `f` inside the gate once this thread's outermost hold on it ends, before the gate
  /// is released, after what was deferred before it. Only while held_here().
  void defer(std::function<void()> f) { deferred_.push_back(std::move(f)); }

 private:
  // Marks this thread as inside the gate for the holder's lifetime.
  struct holder {
    holder(const gate& g, bool inline_run) : held(&g), inline_run(inline_run), previous(top_) { top_ = this; }
    ~holder() { top_ = previous; }
    holder(const holder&) = delete;
    holder& operator=(const holder&) = delete;
    const gate* held;
    bool inline_run;
    const holder* previous;
  };

  // Runs `f`, then what was deferred meanwhile (also when `f` throws: nothing deferred is
  // lost). Deferred work cannot loop forever: only a message delivered here defers more, and
  // messages that answer messages end (no user code runs while the gate accepts delivery).
  template <class F>
  void run_then_drain(F&& f) {
    try {
      f();
    } catch (...) {
      drain();
      throw;
    }
    drain();
  }
  void drain() {
    while (!deferred_.empty()) {
      auto next = std::move(deferred_.front());
      deferred_.pop_front();
      next();
    }
  }

  std::mutex mutex_;
  std::atomic<std::size_t> pending_{0};
  std::atomic<bool> accepts_delivery_{false};
  std::deque<std::function<void()>> deferred_;  // inside the gate only
  static inline thread_local const holder* top_ = nullptr;
};

/// An Asio executor: `strand` with every function run inside `gate`. Queries, requirements
/// and preferences go to the strand. Thread safety: as a strand.
class gated_executor {
 public:
  using strand_type = boost::asio::strand<boost::asio::any_io_executor>;

  gated_executor(strand_type strand, std::shared_ptr<wamp::gate> gate)
      : strand_(std::move(strand)), gate_(std::move(gate)) {}

  template <class F>
  void execute(F&& f) const {
    gate_->posted();
    strand_.execute([g = gate_, f = std::forward<F>(f)]() mutable { g->run_posted(f); });
  }

  /// True on a thread running the strand's work or inside the gate.
  bool running_in_this_thread() const noexcept {
    return strand_.running_in_this_thread() || gate_->held_here();
  }

  template <class Property>
    requires boost::asio::can_query<const strand_type&, Property>::value
  decltype(auto) query(const Property& p) const {
    return boost::asio::query(strand_, p);
  }

  template <class Property>
    requires boost::asio::can_require<const strand_type&, Property>::value &&
             std::is_same_v<std::decay_t<typename boost::asio::require_result<const strand_type&, Property>::type>,
                            strand_type>
  gated_executor require(const Property& p) const {
    return gated_executor(boost::asio::require(strand_, p), gate_);
  }

  template <class Property>
    requires boost::asio::can_prefer<const strand_type&, Property>::value &&
             std::is_same_v<std::decay_t<typename boost::asio::prefer_result<const strand_type&, Property>::type>,
                            strand_type>
  gated_executor prefer(const Property& p) const {
    return gated_executor(boost::asio::prefer(strand_, p), gate_);
  }

  const strand_type& strand() const noexcept { return strand_; }
  const std::shared_ptr<wamp::gate>& gate() const noexcept { return gate_; }

  friend bool operator==(const gated_executor& a, const gated_executor& b) noexcept {
    return a.strand_ == b.strand_ && a.gate_ == b.gate_;
  }
  friend bool operator!=(const gated_executor& a, const gated_executor& b) noexcept { return !(a == b); }

 private:
  strand_type strand_;
  std::shared_ptr<wamp::gate> gate_;
};

}  // namespace autobahn_sync::wamp

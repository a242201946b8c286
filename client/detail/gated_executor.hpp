// detail: the client's I/O executor, a strand whose every function runs inside a `gate` (a
// mutex), so that another thread that takes the gate while the strand is idle may run the
// session's work itself instead of posting it. That is how a blocked caller sends its own
// CALL (and a handler thread its own YIELD) without waking the I/O thread: on a small
// machine each such wake costs 10-20 us of a call's round trip.
// Not for users; include client/autobahn_sync.hpp.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <type_traits>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/require.hpp>
#include <boost/asio/strand.hpp>

namespace autobahn_sync::detail {

/// Mutual exclusion between the functions of a strand and threads that run the strand's
/// work inline. Thread safety: shared objects are safe.
class gate {
 public:
  /// True when this thread is inside the gate (running the strand's work, posted or inline).
  bool held_here() const noexcept { return held_ == this; }

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
    holder h(*this);
    f();
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
    holder h(*this);
    return std::forward<F>(f)();
  }

 private:
  // Marks this thread as inside the gate for the holder's lifetime.
  struct holder {
    explicit holder(const gate& g) : previous(held_) { held_ = &g; }
    ~holder() { held_ = previous; }
    const gate* previous;
  };

  std::mutex mutex_;
  std::atomic<std::size_t> pending_{0};
  static inline thread_local const gate* held_ = nullptr;
};

/// An Asio executor: `strand` with every function run inside `gate`. Queries, requirements
/// and preferences go to the strand. Thread safety: as a strand.
class gated_executor {
 public:
  using strand_type = boost::asio::strand<boost::asio::any_io_executor>;

  gated_executor(strand_type strand, std::shared_ptr<detail::gate> gate)
      : strand_(std::move(strand)), gate_(std::move(gate)) {}

  template <class F>
  void execute(F&& f) const {
    gate_->posted();
    strand_.execute([g = gate_, f = std::forward<F>(f)]() mutable { g->run_posted(f); });
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
  const std::shared_ptr<detail::gate>& gate() const noexcept { return gate_; }

  friend bool operator==(const gated_executor& a, const gated_executor& b) noexcept {
    return a.strand_ == b.strand_ && a.gate_ == b.gate_;
  }
  friend bool operator!=(const gated_executor& a, const gated_executor& b) noexcept { return !(a == b); }

 private:
  strand_type strand_;
  std::shared_ptr<detail::gate> gate_;
};

}  // namespace autobahn_sync::detail

// `gated_executor`: a strand whose every function runs inside a `gate` (a mutex), so that
// another thread that takes the gate while the strand is idle may run the strand's work
// itself instead of posting it and waking the strand's thread. On a small machine each such
// wake costs 10-20 us of a call's round trip. The client's I/O executor and the router's
// executor are gated:
// - a blocked caller sends its own CALL and a handler thread its own YIELD; when another
//   thread is inside the gate, it runs the step before it leaves (run_or_hand_over from the
//   client);
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
    then_take_over([&] {
      std::lock_guard lock(mutex_);
      done_guard done{*this};  // counted done before the unlock: try_run_inline then finds it idle
      holder h(*this, false);
      begin_hold();
      run_then_drain(f);
    });
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
    bool ran = false;
    then_take_over([&] { try_hold([&] { ran = std::forward<F>(f)(); }); });
    return ran;
  }

  /// Runs `f` (void) inside the gate when nothing is queued on the strand: on this thread
  /// when no thread is inside the gate, else by the thread inside it, before that thread
  /// releases the gate (it hands over instead of posting to the strand, whose thread would
  /// have to be woken, and which would wait for the gate anyway). Returns false, without
  /// running or keeping `f`, when work is queued on the strand (`f` must not overtake it),
  /// when this thread is inside the gate, or when the thread inside must not take more (it
  /// must not be kept there by the others' work for ever: it accepts `handed_per_hold` at a
  /// time, and no more once it started that many in this hold): the caller then posts.
  /// Never blocks. What is handed over runs in the order it was handed over, before anything
  /// that takes the gate next.
  /// `hand_over()` makes the std::function<void()> that is handed over (taking what it needs
  /// to outlive this call; it must not throw when run); it is called only then, and `f` is
  /// not called.
  template <class F, class HandOver>
  bool run_or_hand_over(F&& f, HandOver&& hand_over) {
    if (held_here() || pending_.load(std::memory_order_acquire) != 0) return false;
    bool taken = true;
    // Whoever was inside may have left before it saw what was handed over: taken over then.
    then_take_over([&] {
      const auto tried = try_hold(std::forward<F>(f));
      if (tried == attempt::ran) return;
      if (tried == attempt::queued || refusing_hand_overs_.load() || handed_count_.load() >= handed_per_hold) {
        taken = false;
      } else {
        if (auto hook = on_busy_for_tests.load(std::memory_order_relaxed)) hook(*this);
        std::lock_guard handed_lock(handed_mutex_);
        handed_.push_back(std::forward<HandOver>(hand_over)());
        handed_count_.fetch_add(1);
      }
    });
    return taken;
  }

  /// How many handed-over functions may wait at once, and how many one hold starts before
  /// the gate refuses more until a thread takes it afresh: a hold runs at most about twice
  /// this many, plus one per thread that was handing over as the limit was reached.
  static constexpr std::size_t handed_per_hold = 32;

  /// Tests only: run_or_hand_over calls it after finding the gate busy, before handing over,
  /// so that a test can make the thread inside leave in between. Null otherwise.
  static inline std::atomic<void (*)(gate&)> on_busy_for_tests{nullptr};

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

  // Runs `f`, then what was deferred or handed over meanwhile (also when `f` throws: nothing
  // deferred is lost). Deferred work cannot loop forever: only a message delivered here
  // defers more, and messages that answer messages end (no user code runs while the gate
  // accepts delivery). Handed-over work is bounded by the hold's budget (run_handed). What
  // was handed over before this thread took the gate runs first.
  template <class F>
  void run_then_drain(F&& f) {
    then_also([&] {
      run_handed();
      f();
    }, [this] { drain(); });
  }
  void drain() {
    for (;;) {
      if (!deferred_.empty()) {
        auto next = std::move(deferred_.front());
        deferred_.pop_front();
        next();
      } else if (!run_handed()) {
        return;
      }
    }
  }
  // Runs `f` inside the gate on this thread when it is free and nothing is queued on the
  // strand; says what it found otherwise (the gate is released again on return).
  enum class attempt { ran, busy, queued };
  template <class F>
  attempt try_hold(F&& f) {
    std::unique_lock lock(mutex_, std::try_to_lock);
    if (!lock) return attempt::busy;
    if (pending_.load(std::memory_order_acquire) != 0) return attempt::queued;
    holder h(*this, true);
    begin_hold();
    run_then_drain(std::forward<F>(f));
    return attempt::ran;
  }
  // Runs `hold` (which takes and releases the gate, or finds it busy), then takes over what
  // was handed over meanwhile, also when `hold` throws.
  template <class Hold>
  void then_take_over(Hold&& hold) {
    then_also(std::forward<Hold>(hold), [this] { take_over_handed(); });
  }
  // Runs `f`, then `after`, also when `f` throws (the exception then goes on after it).
  template <class F, class After>
  static void then_also(F&& f, After&& after) {
    try {
      f();
    } catch (...) {
      after();
      throw;
    }
    after();
  }
  // A thread took the gate afresh (not to take over what was handed over as another left).
  void begin_hold() {
    handed_budget_ = handed_per_hold;
    refusing_hand_overs_.store(false);
  }
  // Runs what was handed over, inside the gate; false when there was nothing. Everything
  // accepted runs; past the hold's budget, no more is accepted.
  bool run_handed() {
    if (handed_count_.load() == 0) return false;
    std::deque<std::function<void()>> batch;
    {
      std::lock_guard lock(handed_mutex_);
      batch.swap(handed_);
      handed_count_.store(0);
    }
    for (auto& next : batch) {
      if (handed_budget_ > 0 && --handed_budget_ == 0) refusing_hand_overs_.store(true);
      run_handed_function(next);
    }
    return true;
  }
  // What is handed over must not throw: it runs on a thread that is in the middle of its own
  // work, and an exception there would be that thread's (the client posts a step's error).
  static void run_handed_function(std::function<void()>& f) noexcept { f(); }
  // After releasing the gate: runs what was handed over after this thread last looked, unless
  // another thread is inside (it runs it). The look is a read-modify-write, ordered with the
  // hand-over's increment: when it comes first, that hand-over's try_lock sees our release.
  // Such a hold accepts nothing more once it started the first one (until a fresh hold).
  void take_over_handed() {
    while (handed_count_.fetch_add(0) != 0) {
      std::unique_lock lock(mutex_, std::try_to_lock);
      if (!lock) return;
      holder h(*this, true);
      handed_budget_ = 1;
      run_then_drain([] {});
    }
  }

  std::mutex mutex_;
  std::atomic<std::size_t> pending_{0};
  std::atomic<bool> accepts_delivery_{false};
  std::deque<std::function<void()>> deferred_;  // inside the gate only
  std::mutex handed_mutex_;
  std::deque<std::function<void()>> handed_;      // under handed_mutex_
  std::atomic<std::size_t> handed_count_{0};      // handed_.size(), read without the lock
  std::atomic<bool> refusing_hand_overs_{false};  // the hold ran its budget of them
  std::size_t handed_budget_ = handed_per_hold;   // inside the gate only
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

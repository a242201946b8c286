// detail: the state an AutobahnSync client shares between its I/O executor, its callbacks
// runner and the application threads: the session core and connection (I/O executor only),
// the waiters of blocked callers (any thread), and the handoffs between them.
// Not for users; include client/autobahn_sync.hpp.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "client/callbacks_runner.hpp"
#include "wamp/transport/gated_executor.hpp"
#include "client/errors.hpp"
#include "client/options.hpp"
#include "client/session_core.hpp"
#include "client/types.hpp"
#include "wamp/transport/connection.hpp"

namespace autobahn_sync::detail {

/// One blocked caller's rendezvous with the I/O executor. The first completion wins; later
/// ones (a late answer after a timeout, the abandon of stop()) are ignored.
struct waiter {
  std::mutex mutex;
  std::condition_variable cv;
  std::atomic<bool> done{false};
  std::atomic<std::size_t> progress_count{0};
  std::exception_ptr error;
  call_result result;
  wamp::id number = 0;        // publication id, or the local key of subscribe/register
  std::vector<call_result> progress;  // not a deque: libstdc++'s allocates when made, for each call
  std::atomic<wamp::id> request{0};  // the request id once sent (for cancel)
  callbacks_runner* pumping = nullptr;  // set while a runner thread waits (pumping)
  // Set while its thread runs the io_context of a caller-driven client
  // (client_options::caller_driven_io): it sleeps in the io_context, so wake() posts to it.
  std::atomic<boost::asio::io_context*> driving{nullptr};
  // When the operation began (session_state::now()): its timeout counts from here, not from
  // when its caller starts waiting, which may be after the answer, or a clock advance, came.
  std::chrono::steady_clock::time_point started{};
  // When the answer (or the failure) was handed over, for the callers' spin policy.
  std::chrono::steady_clock::time_point completed_at{};

  /// Completes with `error` or the values set by `fill`; false when already completed.
  template <class Fill>
  bool complete(std::exception_ptr e, Fill&& fill) {
    callbacks_runner* runner;
    {
      std::lock_guard lock(mutex);
      if (done.load()) return false;
      error = clone_error(e);  // this waiter's own copy (see clone_error)
      if (!e) fill(*this);
      completed_at = std::chrono::steady_clock::now();
      done.store(true);
      runner = pumping;
    }
    wake(runner);
    return true;
  }
  /// Wakes the thread waiting for this waiter, however it waits.
  void wake(callbacks_runner* runner) {
    cv.notify_all();
    if (runner) runner->notify();
    wake_driver();
  }
  /// Interrupts the thread that drives the io_context while waiting for this waiter, unless
  /// this is that thread (it re-checks the waiter after each handler it runs).
  void wake_driver() {
    auto* io = driving.load();
    if (io && !io->get_executor().running_in_this_thread()) boost::asio::post(*io, [] {});
  }
  bool fail(std::exception_ptr e) {
    return complete(e, [](waiter&) {});
  }
  void push_progress(call_result r);
};

class session_state;

/// Threads the client does not own (a manual clock's advancing thread, a call's canceller)
/// reach the session state through this guard: they run under its mutex, and once the
/// client closed it at the end of stop() they never touch the state again. Without it such
/// a thread could drop the last reference to the state after the client destroyed its
/// io_context, and the state's strand would be destroyed against a dead io_context.
///
/// What runs under the guard only posts and wakes (session_state::post_without_driving),
/// and never waits for the session's gate: a thread inside the gate (on_leave calling stop())
/// waits for close(), so a guarded thread waiting for the gate would deadlock with it.
class foreign_access {
 public:
  /// Runs `f(state)` when the guard is open and the state is alive.
  template <class F>
  void run(const std::weak_ptr<session_state>& weak, F&& f) {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    if (auto state = weak.lock()) f(*state);  // the reference is dropped under the lock
  }
  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }

 private:
  std::mutex mutex_;
  bool closed_ = false;
};

class session_state : public std::enable_shared_from_this<session_state> {
 public:
  using strand_type = boost::asio::strand<boost::asio::any_io_executor>;

  /// `own_thread`: the client runs on an io_context of its own (not on an executor the
  /// application gave), so other threads may deliver in-process messages inside its gate.
  /// `driven_io`: the io_context that waiting callers may run, one at a time, when they lead
  /// (see "Who reads" below): a caller-driven client's (client_options::caller_driven_io),
  /// or, with `io_thread` set, a client whose I/O thread runs run_io_thread().
  session_state(strand_type strand, std::shared_ptr<callbacks_runner> runner,
                client_options options, challenge_handler on_challenge, bool own_thread,
                boost::asio::io_context* driven_io = nullptr, bool io_thread = false);

  // Who reads. A client with an I/O thread of its own and client_options::callers_read
  // (the default) does not always read on that thread: a thread that would otherwise be
  // woken by it reads (leads) instead, so that the message it waits for wakes it directly.
  // - Without subscriptions and registrations a blocked caller leads, while joined over a
  //   network transport and not stopping: its answer wakes it, not the I/O thread, which
  //   would wake it in turn.
  // - With them the callbacks thread leads while it has no handler to run, so that the
  //   invocation or event it reads runs on it at once; callers wait for their answers.
  // When a leader stops leading, the I/O thread takes the lead: at once when something needs
  // continuous reading (a waiter that does not lead, the join, the loss of the session,
  // stopping, handlers without a callbacks thread that reads), otherwise once nobody led
  // for io_thread_takeover. So a caller calling in a loop, or a callee answering one,
  // keeps the lead without waking anyone. While leaders come and go the I/O thread looks
  // ever less often (up to io_thread_look_cap apart), so what the router sends unasked after
  // the last call (a GOODBYE, an INTERRUPT for a running handler) waits at most about
  // io_thread_look_cap + io_thread_takeover.

  /// The I/O thread's loop with callers_read: leads whenever no caller does (see "Who
  /// reads"), until the io_context is stopped.
  void run_io_thread();
  /// Lets run_io_thread() re-check its conditions (stopping, the io_context's stop).
  void wake_io_thread();
  /// The callbacks thread's read while it has no handler to run (callbacks_runner::
  /// idle_reader): leads for one I/O handler and returns true, or false at once when it may
  /// not (see "Who reads").
  bool lead_while_idle();
  static constexpr std::chrono::milliseconds io_thread_takeover{1};
  /// The longest the I/O thread sleeps between looks while leaders come and go.
  static constexpr std::chrono::milliseconds io_thread_look_cap{16};

  /// Runs `f(state)` on the I/O executor (a caller-driven client runs it at once on this
  /// thread when no other thread leads).
  template <class F>
  void post(F f) {
    post_without_driving(std::move(f));
    if (driven_io_) run_ready_if_idle();
  }

  /// Posts `f` to the I/O executor and never runs anything on this thread, even in a
  /// caller-driven client: for a thread inside foreign_access, which must not wait for the
  /// gate (a thread inside the gate may be waiting for foreign_access::close()). A
  /// caller-driven client's waiting caller leads and runs it.
  template <class F>
  void post_without_driving(F f) {
    boost::asio::post(executor_, [self = shared_from_this(), f = std::move(f)]() mutable {
      f(*self);
    });
  }

  /// Runs `f(state)` on this thread, as if on the I/O executor, when that is idle (nothing
  /// queued, nobody inside the gate) and the connection is driven by it; when another
  /// thread is inside the gate and nothing is queued, hands `f` over to that thread, which
  /// runs it before it leaves (gate::run_or_hand_over); otherwise posts `f` as post() does.
  /// Saves the I/O thread's wake-up on a blocked caller's path. From the I/O executor itself
  /// it always posts (the core may be in the middle of a step).
  /// The caller holds a reference to this state (no reference of its own is taken inline:
  /// its count is shared with the threads that answer).
  template <class F>
  void run_or_post(F f) {
    // A connection on another executor is never driven inside the gate: post, so that a step
    // handed over now cannot be posted behind a later one when it is run.
    if (!inline_ok_.load()) return post(std::move(f));
    bool inline_refused = false;
    const bool taken = gate_->run_or_hand_over(
        [&] {
          if (inline_ok_) f(*this);
          else inline_refused = true;
        },
        [&] {
          // Run by the thread inside the gate: keeps the state alive until then. Must not
          // throw there (that thread is in the middle of its own work): a step's exception
          // goes to the I/O executor, where it would have come from had the step been posted.
          return std::function<void()>([self = shared_from_this(), f = std::move(f)]() mutable {
            try {
              if (self->inline_ok_) f(*self);
              else self->post_without_driving(std::move(f));
            } catch (...) {
              self->post_without_driving([e = std::current_exception()](session_state&) { std::rethrow_exception(e); });
            }
          });
        });
    if (taken && !inline_refused) return;
    post(std::move(f));
  }

  /// Now, on client_options::clock when there is one.
  callbacks_runner::clock::time_point now() const {
    return options_.clock ? options_.clock->now() : callbacks_runner::clock::now();
  }
  /// now() + timeout, or time_point::max() (no deadline) when that does not fit.
  callbacks_runner::clock::time_point deadline_in(std::chrono::milliseconds timeout) const;
  /// The deadline of `w`'s operation: its start + timeout (time_point::max() when that does
  /// not fit).
  callbacks_runner::clock::time_point deadline_of(const waiter& w, std::chrono::milliseconds timeout) const;
  /// With a manual clock: wake every waiter when it advances, so deadlines are re-checked.
  void watch_clock();
  ~session_state();

  /// A new waiter, registered so that abandon_all() reaches it.
  std::shared_ptr<waiter> make_waiter();
  /// Blocks until `w` is done or `deadline`; pumps the runner when called on its thread;
  /// delivers progressive results to `on_progress` on this thread. Returns w.done.
  /// `what` and `subject` ("call", "com.example.add") name the wait for client_options::wait.
  bool wait(waiter& w, callbacks_runner::clock::time_point deadline,
            const std::function<void(const call_result&)>& on_progress = {},
            std::string_view what = "wait", std::string_view subject = {});
  /// Blocks until `w` is done or the real-time `deadline`, without pumping the runner (stop()
  /// may run inside a handler); a caller-driven client's thread runs its I/O meanwhile.
  bool wait_real_time(waiter& w, callbacks_runner::clock::time_point deadline);
  void forget(const std::shared_ptr<waiter>& w);
  /// Completes every registered waiter with `error` (stop(): NotRunningError).
  void abandon_all(std::exception_ptr error);

  /// Throws NotRunningError once stop() began, and Error when called on the I/O thread
  /// (a blocking request there could never be answered).
  void check_running() const;
  /// check_running(), and throws the TransportLost of reconnect_gave_up() once there is one:
  /// for the requests that need a session (call, publish, subscribe, register).
  void check_usable() const;
  /// Once client_options::reconnect ran out of attempts: TransportLost saying so, with the
  /// last attempt's error; else null. Any thread.
  std::exception_ptr reconnect_gave_up() const;
  /// True on the thread running the I/O executor's work (an inline handler, on_join).
  bool on_io_thread() const;

  // ---- I/O executor only ----
  /// Connects through `connect` to `url`, then joins; completes `join_waiter`. Remembers
  /// all three for reconnection.
  void start(connector connect, std::string url, join_options join,
             std::shared_ptr<waiter> join_waiter);
  /// Leaves (GOODBYE) with `pending_error` for pending requests; completes `done` once
  /// closed. Cancels any reconnection.
  void leave(std::string reason, std::exception_ptr pending_error, std::shared_ptr<waiter> done);
  /// Drops the connection now (after leave, or when giving up).
  void close_connection();

  /// Subscribe/register and their undoing, by stable handle: the records survive
  /// reconnection (they are restored on each rejoin). Complete `w` (number: the handle).
  /// `active` is the handles' active(): cleared when the record goes (unsubscribe, the
  /// router's revocation, a refused restore).
  void subscribe(wamp::uri topic, wamp::dict options, event_handler handler,
                 std::shared_ptr<std::atomic<bool>> active, std::shared_ptr<waiter> w);
  void unsubscribe(std::uint64_t handle, std::shared_ptr<waiter> w);
  void register_procedure(wamp::uri procedure, wamp::dict options, procedure_handler handler,
                          std::shared_ptr<std::atomic<bool>> active, std::shared_ptr<waiter> w);
  void unregister(std::uint64_t handle, std::shared_ptr<waiter> w);

  session_core& core() { return core_; }
  const boost::asio::any_io_executor& executor() const { return executor_; }
  const std::shared_ptr<callbacks_runner>& runner() const { return runner_; }
  const client_options& options() const { return options_; }

  // Snapshot of the join, readable from any thread.
  wamp::id session_id() const;
  wamp::dict welcome_details() const;
  bool joined() const { return joined_.load(); }

  // Handler plumbing (I/O executor): wrap user handlers into core sinks that hand the work
  // to the callbacks runner.
  session_core::event_sink make_event_sink(wamp::uri topic, event_handler handler,
                                           std::shared_ptr<std::atomic<bool>> active);
  session_core::invocation_sink make_invocation_sink(wamp::uri procedure,
                                                     procedure_handler handler);

  std::atomic<bool> stopping{false};
  /// Whether a blocked caller spins before it sleeps (client_options::spin_wait), learnt
  /// from how long this client's recent answers took.
  spin_policy caller_spin;
  /// For callbacks on threads the client does not own (see foreign_access).
  const std::shared_ptr<foreign_access>& foreign() const { return foreign_; }

 private:
  struct subscription_record {
    wamp::uri topic;
    wamp::dict options;
    event_handler handler;
    std::uint64_t core_key = 0;  // 0 while not subscribed at the router
    // Cleared by unsubscribe: events already queued for the handler are then dropped.
    std::shared_ptr<std::atomic<bool>> active;
  };
  struct registration_record {
    wamp::uri procedure;
    wamp::dict options;
    procedure_handler handler;
    std::uint64_t core_key = 0;
    std::shared_ptr<std::atomic<bool>> active;  // the handles' active()
  };

  wamp::authenticate answer_challenge(const wamp::challenge& c);
  void on_joined(const wamp::welcome& w);
  void on_session_closed(std::exception_ptr why);
  void connect_and_join();
  void connect_failed(const std::exception_ptr& error);
  // After a connect attempt ended: completes the leave that waited for it.
  void finish_leave_after_connect();
  // After the session was lost (`why`) or an attempt failed: the next attempt, or giving up.
  void schedule_reconnect(const std::exception_ptr& why);
  void give_up_reconnecting(const std::exception_ptr& why);
  void restore_records();
  // The answer to a restoring SUBSCRIBE/REGISTER of the record `handle`: the record learns its
  // new key; a record undone meanwhile is undone at the router; a record the router refused
  // is dropped and reported to on_restore_failed.
  // Unsubscribes or unregisters `key`, which nobody wants any more, at the router; a failed
  // send is dropped (the session is going, and takes it along).
  void undo_at_router(void (session_core::*undo)(std::uint64_t, session_core::done_handler), std::uint64_t key);
  template <class Records>
  void restored(Records& records, std::uint64_t handle, std::exception_ptr e, std::uint64_t key,
                const wamp::uri& uri, void (session_core::*undo)(std::uint64_t, session_core::done_handler));
  // The router revoked what the core knew as `core_key`: its record goes too.
  void forget_revoked(std::uint64_t core_key);

  strand_type strand_;
  using gate = wamp::gate;
  std::shared_ptr<gate> gate_ = std::make_shared<gate>();
  // While joined, the gate accepts in-process messages delivered on other threads when no
  // code of the application runs on the I/O executor as a message's consequence (see
  // update_delivery()).
  bool delivery_allowed_ = false;
  void update_delivery();
  boost::asio::any_io_executor executor_;  // strand_ inside gate_, type-erased
  // The connection runs on executor_ (so its work is inside gate_ too): run_or_post may
  // drive it from another thread. Inside gate_ only.
  std::atomic<bool> inline_ok_{false};  // written inside the gate, read by run_or_post
  std::shared_ptr<callbacks_runner> runner_;
  client_options options_;
  challenge_handler on_challenge_;
  session_core core_;
  wamp::connection_ptr connection_;
  std::shared_ptr<waiter> join_waiter_;
  std::vector<std::shared_ptr<waiter>> close_waiters_;
  std::map<wamp::id, std::shared_ptr<std::atomic<bool>>> canceled_flags_;
  // Invocations with a timeout (INVOCATION.Details.timeout): their deadline's timer, until
  // answered, interrupted or expired.
  struct invocation_deadline {
    std::shared_ptr<boost::asio::steady_timer> timer;
    std::uint64_t virtual_key = 0;  // with a manual clock
  };
  std::map<wamp::id, invocation_deadline> invocation_deadlines_;
  void arm_invocation_deadline(wamp::id request, std::chrono::milliseconds timeout);
  void disarm_invocation_deadline(wamp::id request);
  // Sessions ended so far: an invocation's answer carries the count of its session, and is
  // dropped when another session (after a reconnect) runs by then, whose invocation ids the
  // router numbers afresh.
  std::uint64_t sessions_closed_ = 0;

  connector connect_;
  std::string url_;
  join_options join_;
  bool ever_joined_ = false;
  bool left_ = false;  // leave()/stop() asked: no reconnection
  bool connecting_ = false;  // a connect attempt is in flight
  int attempts_ = 0;
  std::chrono::milliseconds delay_{0};
  // When the current session joined. A session lost sooner than stable_after() after it
  // does not reset attempts_ and delay_: a router that welcomes and then drops every
  // session must meet the backoff and max_attempts, not a reconnect at once each time.
  callbacks_runner::clock::time_point joined_at_{};
  std::chrono::milliseconds stable_after() const;
  std::shared_ptr<boost::asio::steady_timer> reconnect_timer_;
  std::uint64_t last_handle_ = 0;
  std::map<std::uint64_t, subscription_record> subscription_records_;
  std::map<std::uint64_t, registration_record> registration_records_;

  std::atomic<bool> joined_{false};
  mutable std::mutex snapshot_mutex_;
  wamp::id session_id_ = 0;
  wamp::dict welcome_details_;
  std::exception_ptr gave_up_;  // under snapshot_mutex_ (see reconnect_gave_up())
  std::atomic<bool> gave_up_flag_{false};  // set with gave_up_: callers check it without the lock

  std::mutex waiters_mutex_;
  std::set<std::shared_ptr<waiter>> waiters_;
  std::shared_ptr<foreign_access> foreign_ = std::make_shared<foreign_access>();
  // Counts leave() and stop(): a handler queued before its client left sees a different count
  // when its turn comes and does not start. (After a transport loss queued handlers still
  // run: their messages were received.)
  std::shared_ptr<std::atomic<std::uint64_t>> leaves_ =
      std::make_shared<std::atomic<std::uint64_t>>(0);
  std::uint64_t clock_listener_ = 0;
  // With a manual clock: the key of the virtual timer of the scheduled reconnect, or 0.
  std::uint64_t virtual_reconnect_ = 0;
  void reconnect_now();
  // A re-join the router never answers (no WELCOME, CHALLENGE or ABORT) ends after
  // join_timeout as a lost transport would, and the next attempt follows.
  void arm_rejoin_deadline();
  void disarm_rejoin_deadline();
  std::shared_ptr<boost::asio::steady_timer> rejoin_timer_;
  std::uint64_t virtual_rejoin_ = 0;  // with a manual clock: its timer's key, or 0
  // Caller-driven waiting: the waiting thread runs driven_io_ when no other thread does
  // (it leads), or sleeps as a follower until its answer comes or the leader leaves.
  boost::asio::io_context* driven_io_ = nullptr;
  std::mutex drive_mutex_;
  std::atomic<bool> driven_now_{false};  // a leader runs driven_io_; written under drive_mutex_
  std::deque<waiter*> followers_;        // under drive_mutex_
  // Under drive_mutex_: wakes the first follower when nobody leads (or the I/O thread, when
  // there is none and something needs continuous reading).
  void offer_lead_locked();
  // Under drive_mutex_: ends the lead of this thread (driven_now_) and offers it on.
  void release_lead_locked();
  // Ends this thread's lead when it goes out of scope (however the leading ends).
  struct lead_releaser {
    session_state& s;
    ~lead_releaser();
  };
  // With an I/O thread behind the callers (see "Who reads"):
  bool with_io_thread_ = false;
  std::condition_variable io_thread_cv_;  // run_io_thread() waits here, under drive_mutex_
  // Under drive_mutex_:
  callbacks_runner::clock::time_point lead_free_since_{};
  std::uint64_t lead_releases_ = 0;
  int plain_waiters_ = 0;              // waiters that do not lead and wait for a reader
  bool io_thread_leads_ = false;
  bool io_thread_awaits_release_ = false;  // it sleeps until the leader lets go
  bool io_thread_called_ = false;      // work was posted that nobody reads: it leads at once
  bool lead_requested_ = false;        // the idle callbacks thread wants the lead back
  std::deque<std::function<void()>> io_thread_hooks_;  // on_leave etc., for the I/O thread
  std::atomic<std::thread::id> io_thread_id_{};
  std::atomic<bool> has_records_{false};      // subscriptions or registrations exist
  std::atomic<bool> callers_may_read_{false};  // joined over a network transport
  std::atomic<bool> leaving_{false};          // leave() or stop() began: the I/O thread reads
  std::atomic<bool> inprocess_{false};        // the connection is in-process: the I/O thread reads
  std::atomic<int> hooks_pending_{0};         // io_thread_hooks_.size(), read without the lock
  // Runs `hook` (the application's on_leave or on_restore_failed) on the I/O thread, never
  // inside the session's gate: at once when this is that thread outside the gate, after the
  // current handler when inside it, else handed to it; so that application code never runs
  // inside a caller's blocked call, between the callbacks thread's handlers, or under our
  // lock (a hook that takes the application's lock would order it after ours).
  void run_hook_on_io_thread(std::function<void()> hook);
  // Under drive_mutex_, holding the lead: runs the hooks handed over (unlocks meanwhile).
  void run_io_thread_hooks(std::unique_lock<std::mutex>& lock);
  // Under drive_mutex_: whether the I/O thread must read now rather than leave the lead free.
  bool io_thread_must_read_locked() const;
  // Whether a blocked caller on this thread may lead now.
  bool caller_may_lead() const;
  // Whether a waiter on this thread waits by leading or following (wait_driving).
  bool waits_driving() const { return driven_io_ && (!with_io_thread_ || caller_may_lead()); }
  // Whether this is the I/O thread of run_io_thread().
  bool is_io_thread() const { return with_io_thread_ && std::this_thread::get_id() == io_thread_id_.load(); }
  // After the records changed (strand): has_records_, and the I/O thread told.
  void records_changed();
  // While a waiter `w` waits without leading: counted in plain_waiters_, so that someone
  // reads. Not counted when nothing is needed: no I/O thread behind the callers, `w`
  // answered already, or in-process (the I/O thread always reads there).
  struct plain_waiting {
    plain_waiting(session_state& s, const waiter& w);
    ~plain_waiting();
    session_state& state;
    bool counted;
  };
  // Runs the handlers of driven_io_ that are ready, a few at most.
  void run_ready_bounded();
  // Under drive_mutex_: makes this thread the leader when nobody leads.
  bool take_lead_locked();
  // Runs driven_io_ until `w` is answered or `deadline`, then gives the lead up.
  void lead(waiter& w, callbacks_runner::clock::time_point deadline, bool virtual_time);
  // Runs what is ready in driven_io_ when no thread leads (after a post from outside a wait).
  void run_ready_if_idle();
  // `virtual_time`: `deadline` is on client_options::clock.
  bool wait_driving(waiter& w, callbacks_runner::clock::time_point deadline,
                    const std::function<void(const call_result&)>& on_progress, bool virtual_time);
  bool wait_through_hook(waiter& w, callbacks_runner::clock::time_point deadline,
                         const std::function<void(const call_result&)>& on_progress,
                         std::string_view what, std::string_view subject);
};

}  // namespace autobahn_sync::detail

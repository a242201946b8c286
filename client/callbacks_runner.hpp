// `callbacks_runner`: the queue on which a client's handlers (subscribed and registered
// functions, the run() callback) run, one at a time, on whichever thread runs it: the
// client's background callbacks thread, or the thread that called run(blocking=true).
//
// A blocking call made from inside a handler must not stall the other handlers (it may be
// waiting for one of them: a handler calling a procedure the same session registered), so a
// thread that waits while it is the runner's thread keeps running queued tasks through
// run_until() ("nested pumping"). Handlers therefore never run concurrently, but a handler
// that blocks in call() may see other handlers run before its call returns.
//
// With run_on(executor) (a simulation's single thread) tasks are handed to that executor
// instead; they start in order even when it runs what is posted out of order (a simulation
// with a seeded order); stop() still discards the ones not yet run.
//
// A client on an io_context of its own with several callbacks threads runs that io_context
// with run_with_io() instead of a thread of its own: its threads take turns driving it (one
// at a time, the leader) and running tasks, so the thread that reads an invocation runs its
// handler itself while another one takes over the reading (leader/follower): the thread
// hand-off is then off the handler's path. (With one callbacks thread every handler keeps
// that one thread, as run(blocking=false) promises.)
//
// Thread safety: post(), notify() and stop() are safe from any thread. run(), run_with_io()
// and run_until() run tasks on the calling thread. Several threads may run() one runner
// (handlers then run concurrently, client_options::callback_threads); by default the client
// uses one.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>

#include "client/spin_policy.hpp"

namespace autobahn_sync {

class callbacks_runner {
 public:
  using task = std::function<void()>;
  using clock = std::chrono::steady_clock;

  /// Queues `t`. Returns false (and drops it) once stopped or when `max_queued` tasks wait.
  bool post(task t);

  /// From now on, hands tasks to `executor` instead of queueing them for run() (no limit
  /// applies there). Call before the first post().
  void run_on(boost::asio::any_io_executor executor);

  /// Runs tasks on the calling thread until stop(). Exceptions escaping a task are dropped
  /// (the client wraps handlers so none escape).
  void run();

  /// What run() does instead of sleeping while it has no task, when set: the client's
  /// callbacks thread reads the connection itself, so that the invocation or event it
  /// reads runs on it without a thread hand-off. `read()` runs I/O handlers on this thread
  /// and returns true, or returns false at once when it may not read now; run() then sleeps
  /// until a task, notify() or offer_read(). `interrupt()` makes a read() in progress
  /// return; post() and stop() from other threads call it. Set before run().
  struct idle_reader {
    std::function<bool()> read;
    std::function<void()> interrupt;
  };
  void read_while_idle(idle_reader reader);
  /// Wakes a run() that sleeps because its read() could not read.
  void offer_read();
  /// Whether a thread is in run() with an idle reader.
  bool reads_while_idle() const { return idle_readers_.load() > 0; }

  /// Runs tasks (at most max_running at once over all threads) and, while no other thread
  /// does, the handlers of `io` one at a time, on the calling thread, until `io` is stopped.
  /// A thread whose io handler queued a task runs it next; a task posted meanwhile wakes a
  /// waiting thread, which takes over `io`. Call from max_running + 1 threads so that one is
  /// always free to drive `io`. Whoever stops `io` from outside calls notify() afterwards.
  void run_with_io(boost::asio::io_context& io);
  /// The limit of run_with_io(): tasks running at once (blocked in run_until() included).
  std::size_t max_running = 1;

  /// Runs queued tasks on the calling thread until `done()` is true or `deadline` passes;
  /// returns done(). `done` is evaluated under the runner's lock, so it must be cheap and
  /// must not call into the runner; whoever makes it true must call notify() afterwards.
  bool run_until(const std::function<bool()>& done, clock::time_point deadline);

  /// Wakes run_until() waiters so they re-evaluate their condition.
  void notify();

  /// Makes run() return once the running task finished; later posts are dropped.
  void stop();
  /// Clears the stopped state so the runner can be run again (after a stop()).
  void restart();
  bool stopped() const;

  /// True when called from inside a task run by run() or run_until() on this runner.
  bool in_runner_thread() const;

  std::size_t max_queued = 100000;
  /// Whether a thread in run() that just ran a task spins for the next one before it sleeps
  /// (client_options::spin_wait): waking it costs more than a fast round trip. Set before run().
  spin_policy spin;

 private:
  bool run_one(std::unique_lock<std::mutex>& lock);
  // After a task left the queue empty: spins up to spin's advice for the next one.
  void spin_for_task(std::unique_lock<std::mutex>& lock);

  mutable std::mutex mutex_;
  std::condition_variable cv_;       // run() and run_until() wait here
  std::condition_variable turn_cv_;  // run_with_io() waits here for a task or the I/O
  std::deque<task> queue_;
  std::atomic<std::size_t> queued_{0};  // queue_.size(), read without the lock while spinning
  clock::time_point last_post_{};       // when the newest task was queued
  bool stopped_ = false;
  std::multiset<std::thread::id> runner_threads_;
  std::size_t running_ = 0;  // tasks running under run_with_io()
  bool io_driven_ = false;   // a thread of run_with_io() is inside io.run_one()
  std::size_t reserved_ = 0; // queued tasks posted by that thread's io handler: kept for it
  boost::asio::any_io_executor executor_;
  idle_reader reader_;
  std::atomic<int> idle_readers_{0};  // threads in run() with reader_
  bool reading_ = false;              // a run() thread is in reader_.read()
  std::thread::id reading_thread_;
  bool waiting_to_read_ = false;      // a run() thread sleeps after a refused read()
  bool read_offered_ = false;         // offer_read() came since the last read()
  // Interrupts a read() in progress on another thread; call without the lock.
  void interrupt_reader(bool reading_elsewhere);
  // Tasks handed to executor_, oldest first: each turn posted there runs the front one.
  struct handed_over {
    std::mutex mutex;
    std::deque<task> tasks;
  };
  std::shared_ptr<handed_over> handed_ = std::make_shared<handed_over>();
};

}  // namespace autobahn_sync

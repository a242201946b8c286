// `simulation`: the single-threaded, seeded mode of the testing framework
// (fixture_options::simulation). The router, the in-process transports and every client's
// I/O and handlers run in one simulation (its ready list and an io_context) that nobody runs
// in the background: a thread that blocks (a call, subscribe, register, publish, join, leave
// or stop of a client, a router::with_core, a recorder wait) runs it while it waits, one
// handler at a time. Time is a manual clock that moves only by jumps: when nothing can run
// (the ready list and the io_context both empty), it jumps to the next thing due (a waiting
// caller's deadline, the router's call and join timeouts, a reconnect backoff, a virtual
// timer of the clock). A waiting caller that nothing can ever answer (nothing
// ready, nothing due) gets a `deadlock_error` at once, naming what waits, with the trace.
//
// One seed drives the run: the router's ids and nonces, the order of ready work (and whatever
// a test draws from rng()); it comes from the constructor's argument, else WAMP_SIM_SEED,
// else Catch2's --rng-seed, else a random one. The same seed and scenario give the same
// messages at the same virtual times (testing/determinism.hpp checks it).
//
// The order of ready work (ready_order::seeded, the default): what is posted to
// get_executor() waits on a ready list, and the loop runs a handler drawn from the seed among
// everything ready, so each seed explores another interleaving of the clients, their handlers
// and the router. What must stay ordered does: a strand (a client's I/O, the router) hands
// its executor one turn at a time, so its handlers keep their FIFO order and so do the
// messages of an in-process connection (delivered on the receiving end's strand); a client's
// handlers start in the order they were queued (its callbacks runner keeps that order on any
// executor). ready_order::fifo runs ready work in posting order (Asio's), whatever the seed.
//
// Thread safety: one thread (the test's) uses a simulation and everything attached to it;
// posting to its executors is safe from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <deque>
#include <mutex>
#include <type_traits>
#include <utility>

#include <boost/asio/execution.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "client/options.hpp"
#include "wamp/manual_clock.hpp"

namespace autobahn_sync::testing {

/// Thrown into a blocked call of a simulation that can never answer it.
class deadlock_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Where a simulation's seed came from.
enum class seed_source { argument, environment, catch_rng_seed, random };
std::string_view to_string(seed_source s) noexcept;

struct resolved_seed {
  std::uint64_t value = 0;
  seed_source source = seed_source::random;
};

/// The seed of a simulation: `explicit_seed` when not 0, else `env` (the value of
/// WAMP_SIM_SEED) when set and numeric, else `catch_seed` when not 0, else a random one.
/// Throws std::invalid_argument for a WAMP_SIM_SEED that is not a number.
resolved_seed resolve_seed(std::uint64_t explicit_seed, const char* env, std::uint64_t catch_seed);
/// The same with the process's WAMP_SIM_SEED and Catch2's --rng-seed.
resolved_seed resolve_seed(std::uint64_t explicit_seed = 0);

/// The one-line command that replays the test named `test_name` with `seed` in the
/// environment variable `variable`, e.g.
/// `bazel test //testing:simulation_test --test_env=WAMP_SIM_SEED=7 --test_arg='a call times out'`
/// (the target from Bazel's TEST_TARGET; Bazel passes a test only the variables --test_env
/// names); outside Bazel, `WAMP_SIM_SEED=7 <test binary> 'a call times out'`.
std::string replay_command(std::uint64_t seed, std::string_view test_name,
                           std::string_view variable = "WAMP_SIM_SEED");
/// The name of the Catch2 test running now, or "" outside one.
std::string current_test_name();

/// How a simulation picks the next handler among several ready ones.
enum class ready_order {
  seeded,  // drawn from the seed: each seed is another interleaving, and replays it exactly
  fifo,    // the order they were posted (Asio's), whatever the seed
};
std::string_view to_string(ready_order o) noexcept;

class simulation;

namespace detail {
// A posted function waiting on a simulation's ready list (move-only: Asio's are).
struct ready_work {
  virtual ~ready_work() = default;
  virtual void run() = 0;
};
template <class F>
struct ready_function final : ready_work {
  explicit ready_function(F&& fn) : f(std::move(fn)) {}
  explicit ready_function(const F& fn) : f(fn) {}
  void run() override { std::move(f)(); }
  F f;
};
}  // namespace detail

/// The executor of a simulation with ready_order::seeded (an Asio standard executor, usable
/// as any_io_executor and under strands): what is posted waits on the simulation's ready list
/// until its loop draws it. It never runs a function inside execute() (blocking.never).
/// Its execution context is the simulation's io_context (for Asio services). Copies compare
/// equal when they belong to one simulation; use them only while it lives.
class simulation_executor {
 public:
  explicit simulation_executor(simulation& sim) noexcept : sim_(&sim) {}

  boost::asio::execution_context& query(boost::asio::execution::context_t) const noexcept;
  constexpr boost::asio::execution::blocking_t query(boost::asio::execution::blocking_t) const noexcept {
    return boost::asio::execution::blocking.never;
  }
  simulation_executor require(boost::asio::execution::blocking_t::never_t) const noexcept { return *this; }

  template <class F>
  void execute(F&& f) const {
    enqueue(std::make_unique<detail::ready_function<std::decay_t<F>>>(std::forward<F>(f)));
  }

  friend bool operator==(const simulation_executor& a, const simulation_executor& b) noexcept {
    return a.sim_ == b.sim_;
  }
  friend bool operator!=(const simulation_executor& a, const simulation_executor& b) noexcept {
    return a.sim_ != b.sim_;
  }

 private:
  void enqueue(std::unique_ptr<detail::ready_work> work) const;
  simulation* sim_;
};

class simulation {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  /// A simulation seeded as resolve_seed(seed) says, running ready work in `order`; it
  /// becomes the running simulation of the test (running_simulation()) until destroyed.
  explicit simulation(std::uint64_t seed = 0, ready_order order = ready_order::seeded);
  ~simulation();
  simulation(const simulation&) = delete;
  simulation& operator=(const simulation&) = delete;

  std::uint64_t seed() const noexcept { return seed_.value; }
  seed_source source() const noexcept { return seed_.source; }
  /// A generator seeded with seed(): draw the test's own random choices from it.
  std::mt19937_64& rng() noexcept { return rng_; }
  ready_order order() const noexcept { return order_; }

  /// The io_context the simulation runs (for what takes one, e.g. the router, whose strand
  /// then counts as one candidate among the ready work). Posts to it run in the same loop.
  boost::asio::io_context& io() noexcept { return io_; }
  /// The executor for everything else (clients): with ready_order::seeded a
  /// simulation_executor, with ready_order::fifo the io_context's.
  boost::asio::any_io_executor get_executor();
  /// The virtual clock (starts at a fixed point).
  const std::shared_ptr<wamp::manual_clock>& clock() const noexcept { return clock_; }
  /// Virtual time since the simulation began.
  std::chrono::milliseconds elapsed() const;

  /// Runs ready handlers and jumps time until `ready()` holds (true) or `deadline` on the
  /// virtual clock passed (ready()). `who` names the waiter in a deadlock report. Throws
  /// deadlock_error when nothing can run, nothing is due and no waiter has a deadline.
  bool run_until(const std::function<bool()>& ready, time_point deadline, std::string_view who);
  /// Runs ready handlers until none is left, without moving time; returns how many ran.
  std::size_t run_ready();
  /// Runs everything due within `d` of virtual time, jumping from one due thing to the next,
  /// and ends with the clock moved by `d`.
  void advance(std::chrono::milliseconds d);

  /// Adds something that knows when it next falls due (e.g. the router's timeouts); time
  /// jumps to it when nothing can run. Evaluated on the simulation's thread.
  void add_due_source(std::function<std::optional<time_point>()> next_due);
  /// What a deadlock report shows after the waiters (the fixture: its message trace).
  void set_context(std::function<std::string()> describe);

  /// The client_options::wait hook for a client whose session is named `name`.
  client_options::wait_fn client_wait(std::string name);
  /// The router_options::wait hook.
  std::function<void(const std::function<bool()>&)> router_wait();

  /// Deadlocks reported to a wait nested in a handler (a handler's blocking call): the
  /// exception went to the handler, which may have swallowed it; the fixture's teardown
  /// fails the test with these.
  const std::vector<std::string>& nested_deadlocks() const noexcept { return nested_deadlocks_; }

  /// Time jumps made so far, and handlers run.
  std::size_t jumps() const noexcept { return jumps_; }
  std::size_t handlers_run() const noexcept { return handlers_run_; }

 private:
  friend class simulation_executor;
  struct waiting {
    std::string who;
    time_point deadline;
  };
  std::optional<time_point> next_due() const;
  [[noreturn]] void report_deadlock();
  /// Runs one ready handler (drawn as order_ says); false when nothing is ready.
  bool run_one();
  void enqueue(std::unique_ptr<detail::ready_work> work);
  std::unique_ptr<detail::ready_work> take(std::size_t index);

  resolved_seed seed_;
  ready_order order_;
  std::mt19937_64 rng_;
  // Its own generator, so what a test draws from rng() does not shift the interleaving.
  std::mt19937_64 schedule_rng_;
  // Declared before io_: handlers the io_context destroys may still post here (and are dropped).
  std::mutex ready_mutex_;
  std::deque<std::unique_ptr<detail::ready_work>> ready_;
  bool closed_ = false;
  boost::asio::io_context io_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::shared_ptr<wamp::manual_clock> clock_ = std::make_shared<wamp::manual_clock>();
  time_point start_;
  std::vector<std::function<std::optional<time_point>()>> due_sources_;
  std::function<std::string()> context_;
  std::vector<waiting> waiting_;  // innermost last
  std::vector<std::string> nested_deadlocks_;
  std::size_t jumps_ = 0;
  std::size_t handlers_run_ = 0;
};

/// The simulation alive on the test's thread (the newest), or null.
simulation* running_simulation();
/// The seed of the last simulation made since the running test case began, if any (for the
/// replay line the trace listener prints on failure).
std::optional<std::uint64_t> last_simulation_seed();
/// Forgets it (the listener calls this when a test case starts).
void forget_last_simulation_seed();

/// For waits that know nothing of simulations (recorder): with a simulation running, runs
/// it until `ready()` or `timeout` of virtual time and returns ready(); else nullopt.
std::optional<bool> wait_in_simulation(const std::function<bool()>& ready,
                                       std::chrono::milliseconds timeout, std::string_view who);

}  // namespace autobahn_sync::testing

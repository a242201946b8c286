#include "testing/simulation.hpp"

#include <algorithm>
#include <cstdlib>
#include <vector>

#include <catch2/catch.hpp>

namespace autobahn_sync::testing {
namespace {

// Tests run on one thread; these name the simulations alive, the newest last (the running
// one). A simulation leaves it when destroyed, in whatever order that happens.
std::vector<simulation*> alive;
std::optional<std::uint64_t> last_seed;

std::string shell_quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

std::string format_ms(std::chrono::milliseconds d) { return "+" + std::to_string(d.count()) + "ms"; }

}  // namespace

std::string_view to_string(seed_source s) noexcept {
  switch (s) {
    case seed_source::argument: return "argument";
    case seed_source::environment: return "WAMP_SIM_SEED";
    case seed_source::catch_rng_seed: return "--rng-seed";
    case seed_source::random: return "random";
  }
  return "?";
}

std::string_view to_string(ready_order o) noexcept {
  switch (o) {
    case ready_order::seeded: return "seeded";
    case ready_order::fifo: return "fifo";
  }
  return "?";
}

resolved_seed resolve_seed(std::uint64_t explicit_seed, const char* env, std::uint64_t catch_seed) {
  if (explicit_seed != 0) return {explicit_seed, seed_source::argument};
  if (env && *env) {
    char* end = nullptr;
    const auto value = std::strtoull(env, &end, 10);
    if (end == env || *end != '\0') {
      throw std::invalid_argument(std::string("WAMP_SIM_SEED is not a number: '") + env + "'");
    }
    if (value != 0) return {value, seed_source::environment};
  }
  if (catch_seed != 0) return {catch_seed, seed_source::catch_rng_seed};
  std::random_device device;
  std::uint64_t value = 0;
  while (value == 0) value = (std::uint64_t{device()} << 32) | device();
  return {value, seed_source::random};
}

resolved_seed resolve_seed(std::uint64_t explicit_seed) {
  std::uint64_t catch_seed = 0;
  if (const auto& config = Catch::getCurrentContext().getConfig()) catch_seed = config->rngSeed();
  return resolve_seed(explicit_seed, std::getenv("WAMP_SIM_SEED"), catch_seed);
}

std::string replay_command(std::uint64_t seed, std::string_view test_name, std::string_view variable) {
  const std::string setting = std::string(variable) + "=" + std::to_string(seed);
  const std::string test = test_name.empty() ? std::string() : " " + shell_quote(test_name);
  if (const char* target = std::getenv("TEST_TARGET"); target && *target) {
    return "bazel test " + std::string(target) + " --test_env=" + setting +
           (test.empty() ? std::string() : " --test_arg=" + shell_quote(test_name));
  }
  return setting + " <test binary>" + test;
}

std::string current_test_name() {
  if (auto* capture = Catch::getCurrentContext().getResultCapture()) return capture->getCurrentTestName();
  return {};
}

boost::asio::execution_context& simulation_executor::query(boost::asio::execution::context_t) const noexcept {
  return sim_->io_;
}

void simulation_executor::enqueue(std::unique_ptr<detail::ready_work> work) const { sim_->enqueue(std::move(work)); }

simulation::simulation(std::uint64_t seed, ready_order order)
    : seed_(resolve_seed(seed)),
      order_(order),
      rng_(seed_.value),
      // Another stream of the same seed (mt19937_64 is the same on every standard library).
      schedule_rng_(seed_.value ^ 0x9e3779b97f4a7c15ull),
      work_(io_.get_executor()),
      start_(clock_->now()) {
  alive.push_back(this);
  last_seed = seed_.value;
}

simulation::~simulation() {
  alive.erase(std::remove(alive.begin(), alive.end(), this), alive.end());
  work_.reset();
  // Destroying a handler may post another (a destructor that closes something): drop those.
  std::deque<std::unique_ptr<detail::ready_work>> left;
  {
    std::lock_guard lock(ready_mutex_);
    closed_ = true;
    left.swap(ready_);
  }
  left.clear();
}

boost::asio::any_io_executor simulation::get_executor() {
  if (order_ == ready_order::fifo) return io_.get_executor();
  return simulation_executor(*this);
}

void simulation::enqueue(std::unique_ptr<detail::ready_work> work) {
  std::unique_lock lock(ready_mutex_);
  if (closed_) {
    lock.unlock();
    return;  // `work` is destroyed outside the lock: its destructor may post
  }
  ready_.push_back(std::move(work));
}

std::unique_ptr<detail::ready_work> simulation::take(std::size_t index) {
  auto work = std::move(ready_[index]);
  ready_.erase(ready_.begin() + static_cast<std::ptrdiff_t>(index));
  return work;
}

bool simulation::run_one() {
  if (order_ == ready_order::fifo) return io_.poll_one() > 0;
  std::unique_ptr<detail::ready_work> next;
  {
    std::lock_guard lock(ready_mutex_);
    // The io_context (the router's strand) is one more candidate; drawn but idle, the draw
    // is made again among the ready list. Every draw comes from the seed, so a seed replays.
    const auto n = ready_.size();
    if (n > 0) {
      const auto k = static_cast<std::size_t>(schedule_rng_() % (n + 1));
      if (k < n) next = take(k);
    }
  }
  if (!next) {
    if (io_.poll_one() > 0) return true;
    std::lock_guard lock(ready_mutex_);
    const auto n = ready_.size();
    if (n == 0) return false;
    next = take(n == 1 ? 0 : static_cast<std::size_t>(schedule_rng_() % n));
  }
  next->run();
  return true;
}

std::chrono::milliseconds simulation::elapsed() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_->now() - start_);
}

std::size_t simulation::run_ready() {
  std::size_t n = 0;
  while (run_one()) ++n;
  handlers_run_ += n;
  return n;
}

std::optional<simulation::time_point> simulation::next_due() const {
  const auto now = clock_->now();
  std::optional<time_point> next;
  auto consider = [&](std::optional<time_point> t) {
    // Only the future counts: what is due now was handed its time when the clock got there.
    if (t && *t > now && (!next || *t < *next)) next = t;
  };
  consider(clock_->next_timer());
  for (const auto& w : waiting_) {
    if (w.deadline != time_point::max()) consider(w.deadline);
  }
  for (const auto& source : due_sources_) consider(source());
  return next;
}

bool simulation::run_until(const std::function<bool()>& ready, time_point deadline, std::string_view who) {
  waiting_.push_back({std::string(who), deadline});
  struct pop {
    std::vector<waiting>& w;
    ~pop() { w.pop_back(); }
  } scope{waiting_};
  // The outermost waiter lets what its answer set off finish (at the same virtual time)
  // before it returns: the test's code then always sees a system at rest.
  auto settle = [&](bool result) {
    if (waiting_.size() == 1) run_ready();
    return result;
  };
  for (;;) {
    if (ready()) return settle(true);
    if (clock_->now() >= deadline) return settle(ready());
    if (run_one()) {
      ++handlers_run_;
      continue;
    }
    // A virtual timer set for the present (a reconnect with no delay) fires only in an
    // advance(): a zero one, no jump.
    if (const auto timer = clock_->next_timer(); timer && *timer <= clock_->now()) {
      clock_->advance({});
      continue;
    }
    // Nothing can run: jump to the next thing due, or report that nothing ever will be.
    const auto next = next_due();
    if (!next) report_deadlock();
    ++jumps_;
    clock_->advance(*next - clock_->now());
  }
}

void simulation::advance(std::chrono::milliseconds d) {
  run_until([] { return false; }, clock_->now() + d, "advance(" + std::to_string(d.count()) + "ms)");
  run_ready();
}

void simulation::add_due_source(std::function<std::optional<time_point>()> next_due) {
  due_sources_.push_back(std::move(next_due));
}

void simulation::set_context(std::function<std::string()> describe) { context_ = std::move(describe); }

void simulation::report_deadlock() {
  std::string text = "deadlock in the simulation (seed " + std::to_string(seed_.value) + ", virtual time " +
                     format_ms(elapsed()) +
                     "): nothing can run and nothing is due, but these wait (innermost last):\n";
  for (const auto& w : waiting_) {
    text += "  " + w.who + (w.deadline == time_point::max() ? " (no timeout)" : "") + "\n";
  }
  if (auto* capture = Catch::getCurrentContext().getResultCapture())
    text += "replay: " + replay_command(seed_.value, capture->getCurrentTestName()) + "\n";
  if (context_) text += context_();
  if (waiting_.size() > 1) nested_deadlocks_.push_back(text);
  throw deadlock_error(text);
}

client_options::wait_fn simulation::client_wait(std::string name) {
  return [this, name = std::move(name)](const std::function<bool()>& ready, time_point deadline,
                                        std::string_view what) {
    run_until(ready, deadline, "session '" + name + "': " + std::string(what));
  };
}

std::function<void(const std::function<bool()>&)> simulation::router_wait() {
  return [this](const std::function<bool()>& done) { run_until(done, time_point::max(), "router::with_core"); };
}

simulation* running_simulation() { return alive.empty() ? nullptr : alive.back(); }
std::optional<std::uint64_t> last_simulation_seed() { return last_seed; }
void forget_last_simulation_seed() { last_seed.reset(); }

std::optional<bool> wait_in_simulation(const std::function<bool()>& ready, std::chrono::milliseconds timeout,
                                       std::string_view who) {
  simulation* sim = running_simulation();
  if (!sim) return std::nullopt;
  return sim->run_until(ready, sim->clock()->now() + timeout, who);
}

}  // namespace autobahn_sync::testing

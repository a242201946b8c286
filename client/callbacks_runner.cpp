#include "client/callbacks_runner.hpp"

#include <optional>
#include <utility>

#include <boost/asio/post.hpp>

namespace autobahn_sync {
namespace {
// The runner whose io this thread is driving in run_with_io(), if any.
thread_local const callbacks_runner* driving_io = nullptr;
}  // namespace

void callbacks_runner::run_on(boost::asio::any_io_executor executor) {
  std::lock_guard lock(mutex_);
  executor_ = std::move(executor);
}

bool callbacks_runner::post(task t) {
  bool reading_elsewhere = false;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return false;
    if (executor_) {
      // The executor may run what is posted in any order (a simulation draws it from its
      // seed): each post is one turn that runs the oldest task handed over, so tasks start in
      // the order they were posted.
      {
        std::lock_guard handed_lock(handed_->mutex);  // a turn may be taking one on another thread
        handed_->tasks.push_back(std::move(t));
      }
      boost::asio::post(executor_, [handed = handed_] {
        task next;
        {
          std::lock_guard lock(handed->mutex);
          if (handed->tasks.empty()) return;
          next = std::move(handed->tasks.front());
          handed->tasks.pop_front();
        }
        try {
          next();
        } catch (...) {
        }
      });
      return true;
    }
    if (queue_.size() >= max_queued) return false;
    queue_.push_back(std::move(t));
    queued_.store(queue_.size(), std::memory_order_release);
    last_post_ = clock::now();
    // The thread driving io under run_with_io() runs the task itself, and wakes the others
    // once it is back from its io handler.
    if (driving_io == this) {
      ++reserved_;
      return true;
    }
    reading_elsewhere = reading_ && reading_thread_ != std::this_thread::get_id();
  }
  cv_.notify_all();
  turn_cv_.notify_one();  // one waiting thread of run_with_io() is enough
  interrupt_reader(reading_elsewhere);
  return true;
}

void callbacks_runner::interrupt_reader(bool reading_elsewhere) {
  if (reading_elsewhere) reader_.interrupt();
}

void callbacks_runner::read_while_idle(idle_reader reader) {
  std::lock_guard lock(mutex_);
  reader_ = std::move(reader);
}

void callbacks_runner::offer_read() {
  {
    std::lock_guard lock(mutex_);
    read_offered_ = true;  // kept for a run() between its refused read() and its sleep
    if (!waiting_to_read_) return;
  }
  cv_.notify_all();
}

bool callbacks_runner::run_one(std::unique_lock<std::mutex>& lock) {
  if (queue_.empty()) return false;
  auto t = std::move(queue_.front());
  queue_.pop_front();
  queued_.store(queue_.size(), std::memory_order_release);
  lock.unlock();
  try {
    t();
  } catch (...) {
  }
  lock.lock();
  return true;
}

void callbacks_runner::spin_for_task(std::unique_lock<std::mutex>& lock) {
  // The next task often follows within microseconds (the next call of a sequential caller):
  // spin for it before sleeping, as a blocked caller does.
  const auto spin_for = spin.spin_now();
  if (spin_for.count() <= 0) return;
  lock.unlock();
  const auto until = clock::now() + spin_for;
  while (queued_.load(std::memory_order_acquire) == 0 && clock::now() < until) {
  }
  lock.lock();
}

void callbacks_runner::run() {
  std::unique_lock lock(mutex_);
  auto me = runner_threads_.insert(std::this_thread::get_id());
  const bool reads = static_cast<bool>(reader_.read);
  if (reads) ++idle_readers_;
  // Set when the queue ran dry after a task: how long the next one takes to come is what
  // the spin policy learns from.
  std::optional<clock::time_point> idle_since;
  while (!stopped_) {
    if (!queue_.empty()) {
      if (idle_since) spin.record(last_post_ - *std::exchange(idle_since, std::nullopt));
      run_one(lock);
      if (queue_.empty()) {
        idle_since = clock::now();
        spin_for_task(lock);
      }
      continue;
    }
    if (reads) {
      reading_ = true;
      reading_thread_ = std::this_thread::get_id();
      read_offered_ = false;
      lock.unlock();
      const bool did_read = reader_.read();
      lock.lock();
      reading_ = false;
      if (did_read || read_offered_ || !queue_.empty() || stopped_) continue;
    }
    waiting_to_read_ = reads;
    cv_.wait(lock);
    waiting_to_read_ = false;
  }
  if (reads) --idle_readers_;
  runner_threads_.erase(me);
}

void callbacks_runner::run_with_io(boost::asio::io_context& io) {
  std::unique_lock lock(mutex_);
  std::optional<clock::time_point> idle_since;  // as in run()
  auto run_task = [&] {
    if (idle_since) spin.record(last_post_ - *std::exchange(idle_since, std::nullopt));
    ++running_;
    auto me = runner_threads_.insert(std::this_thread::get_id());
    run_one(lock);
    runner_threads_.erase(me);
    --running_;
    if (queue_.empty() && io_driven_) {
      idle_since = clock::now();
      spin_for_task(lock);
    }
  };
  while (!io.stopped()) {
    if (!stopped_ && queue_.size() > reserved_ && running_ < max_running) {
      run_task();
      continue;
    }
    if (!io_driven_) {
      io_driven_ = true;
      lock.unlock();
      driving_io = this;
      io.run_one();
      driving_io = nullptr;
      lock.lock();
      io_driven_ = false;
      const bool kept = reserved_ > 0;  // a task its handler posted woke no one (post())
      reserved_ = 0;
      if (!queue_.empty()) {
        // Whom a queued task concerns: a handler pumping while it waits (run_until), and
        // one thread here, to take over `io` (or the task, when this one may not run it).
        cv_.notify_all();
        turn_cv_.notify_one();
      }
      // Taken before the lock is released, so that the woken thread takes over `io`.
      if (kept && !stopped_ && !queue_.empty() && running_ < max_running) run_task();
      continue;
    }
    turn_cv_.wait(lock);  // woken by post() when a task comes, by the leader when it leaves
  }
  lock.unlock();
  turn_cv_.notify_all();  // the others see io stopped too
}

bool callbacks_runner::run_until(const std::function<bool()>& done, clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  auto me = runner_threads_.insert(std::this_thread::get_id());
  bool result = false;
  for (;;) {
    if (done()) {
      result = true;
      break;
    }
    if (!stopped_ && run_one(lock)) continue;
    if (deadline == clock::time_point::max()) {
      cv_.wait(lock);  // no real deadline (virtual time): woken by notify()
    } else if (cv_.wait_until(lock, deadline) == std::cv_status::timeout) {
      result = done();
      break;
    }
  }
  runner_threads_.erase(me);
  return result;
}

void callbacks_runner::notify() {
  { std::lock_guard lock(mutex_); }
  cv_.notify_all();
  turn_cv_.notify_all();
}

void callbacks_runner::stop() {
  bool reading_elsewhere = false;
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    queue_.clear();
    reserved_ = 0;
    queued_.store(0, std::memory_order_release);
    // Tasks already handed to executor_ are dropped when their turns come up.
    std::lock_guard handed_lock(handed_->mutex);
    handed_->tasks.clear();
    reading_elsewhere = reading_ && reading_thread_ != std::this_thread::get_id();
  }
  cv_.notify_all();
  interrupt_reader(reading_elsewhere);
}

void callbacks_runner::restart() {
  std::lock_guard lock(mutex_);
  stopped_ = false;
  handed_ = std::make_shared<handed_over>();  // turns posted before the stop find nothing
}

bool callbacks_runner::stopped() const {
  std::lock_guard lock(mutex_);
  return stopped_;
}

bool callbacks_runner::in_runner_thread() const {
  std::lock_guard lock(mutex_);
  return runner_threads_.contains(std::this_thread::get_id());
}

}  // namespace autobahn_sync

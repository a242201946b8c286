// How a blocked caller waits (session_state::wait and its kin), and who reads the
// connection meanwhile: the I/O thread, or the waiting caller itself when it leads (see
// "Who reads" in session_state.hpp).
#include <algorithm>
#include <optional>
#include <vector>

#include "client/detail/session_state.hpp"
#include "client/errors.hpp"

namespace autobahn_sync::detail {
namespace {

// Gives the progressive results that arrived for `w` to `on_progress`, on this thread.
void hand_over_progress(waiter& w, const std::function<void(const call_result&)>& on_progress) {
  // Counted before the waiter is completed, so a caller that saw it done sees them all.
  if (w.progress_count.load() == 0) return;
  std::vector<call_result> progress;
  {
    std::lock_guard lock(w.mutex);
    progress.swap(w.progress);
    w.progress_count.store(0);
  }
  if (on_progress) {
    for (auto& r : progress) on_progress(r);
  }
}

}  // namespace

bool session_state::wait(waiter& w, callbacks_runner::clock::time_point deadline,
                         const std::function<void(const call_result&)>& on_progress,
                         std::string_view what, std::string_view subject) {
  using clock = callbacks_runner::clock;
  if (options_.wait) return wait_through_hook(w, deadline, on_progress, what, subject);
  if (waits_driving()) return wait_driving(w, deadline, on_progress, options_.clock != nullptr);
  plain_waiting counted(*this, w);
  std::optional<clock::time_point> learn_from;
  if (!w.done.load()) {
    // The spin is learnt from the answers' times (up to completion, not to the wake), also
    // while it is off: with answers slower than the spin it would only take a core away
    // from the threads that produce them.
    const auto waiting_since = clock::now();
    if (const auto spin_for = caller_spin.spin_now(); spin_for.count() > 0) {
      const auto until = waiting_since + spin_for;
      while (!w.done.load() && w.progress_count.load() == 0 && clock::now() < until) {
      }
    }
    learn_from = waiting_since;
  }
  const bool pump = runner_ && runner_->in_runner_thread();
  // An answer records how long it took, for the spin policy.
  auto learn = [&] {
    if (!learn_from) return;
    std::lock_guard lock(w.mutex);
    caller_spin.record(w.completed_at - *learn_from);
  };
  // On a manual clock the deadline is virtual: sleep without a real deadline; advance()
  // wakes every waiter to re-check it.
  const bool virtual_time = options_.clock != nullptr;
  const auto real_deadline = virtual_time ? clock::time_point::max() : deadline;
  auto expired = [&] { return virtual_time && now() >= deadline; };
  for (;;) {
    if (pump) {
      {
        std::lock_guard lock(w.mutex);
        w.pumping = runner_.get();
      }
      runner_->run_until([&] { return w.done.load() || w.progress_count.load() > 0 || expired(); },
                         real_deadline);
      std::lock_guard lock(w.mutex);
      w.pumping = nullptr;
    } else {
      std::unique_lock lock(w.mutex);
      auto ready = [&] { return w.done.load() || !w.progress.empty() || expired(); };
      if (virtual_time) w.cv.wait(lock, ready);
      else w.cv.wait_until(lock, deadline, ready);
    }
    const bool done = w.done.load();
    hand_over_progress(w, on_progress);
    if (done) {
      learn();
      return true;
    }
    // Answered just now: one more turn hands over what came with the answer.
    if (now() >= deadline && !w.done.load()) return false;
  }
}

void session_state::offer_lead_locked() {
  if (driven_now_.load()) return;
  if (with_io_thread_) {
    // A follower offered the lead when callers may not lead any more finds out, and waits
    // plainly: the I/O thread must take it.
    if (io_thread_must_read_locked()) io_thread_cv_.notify_one();
    else if (followers_.empty() && has_records_.load() && runner_) runner_->offer_read();  // its handlers' reader
  }
  if (followers_.empty()) return;
  waiter* next = followers_.front();
  { std::lock_guard lock(next->mutex); }  // a follower between its check and its sleep
  next->cv.notify_all();
}

bool session_state::take_lead_locked() {
  if (driven_now_.load()) return false;
  driven_now_.store(true);
  return true;
}

session_state::lead_releaser::~lead_releaser() {
  std::lock_guard lock(s.drive_mutex_);
  s.release_lead_locked();
}

void session_state::release_lead_locked() {
  driven_now_.store(false);
  ++lead_releases_;
  lead_free_since_ = callbacks_runner::clock::now();
  offer_lead_locked();
  if (io_thread_awaits_release_) io_thread_cv_.notify_one();
}

bool session_state::io_thread_must_read_locked() const {
  // With subscriptions or registrations the callbacks thread reads while it has no handler
  // to run (lead_while_idle()), when it can.
  return plain_waiters_ > 0 || io_thread_called_ || !io_thread_hooks_.empty() || stopping.load() ||
         leaving_.load() || !callers_may_read_.load() ||
         (has_records_.load() && !(runner_ && runner_->reads_while_idle()));
}

void session_state::run_hook_on_io_thread(std::function<void()> hook) {
  // Never inside the session's gate: a hook that takes a lock the application holds around
  // its calls must not take it after ours (the I/O thread that read the session's end runs
  // on_leave right after that read's handler instead).
  const bool on_io_thread = is_io_thread();
  if (!with_io_thread_ || (on_io_thread && !gate_->held_here())) return hook();
  std::lock_guard lock(drive_mutex_);
  io_thread_hooks_.push_back(std::move(hook));
  hooks_pending_.fetch_add(1);
  if (on_io_thread) return;  // run_io_thread() runs it once the handler returns
  // The leader's run_one() returns (the I/O thread then runs it; another leader gives the
  // lead up, which calls the I/O thread), or the I/O thread takes the free lead.
  if (driven_now_.load()) boost::asio::post(*driven_io_, [] {});
  else io_thread_cv_.notify_one();
}

void session_state::run_io_thread_hooks(std::unique_lock<std::mutex>& lock) {
  while (!io_thread_hooks_.empty()) {
    auto hook = std::move(io_thread_hooks_.front());
    io_thread_hooks_.pop_front();
    hooks_pending_.fetch_sub(1);
    lock.unlock();
    hook();
    lock.lock();
  }
}

bool session_state::lead_while_idle() {
  if (!has_records_.load() || !callers_may_read_.load()) return false;  // without the lock, as it is mostly
  {
    std::lock_guard lock(drive_mutex_);
    // Without handlers the callers read their answers themselves; a waiter that follows or
    // waits plainly wants its answer soon, which the I/O thread reads as well as we would.
    if (!has_records_.load() || io_thread_must_read_locked() || !followers_.empty() || driven_io_->stopped()) {
      return false;
    }
    if (!take_lead_locked()) {
      // The I/O thread took over while a handler ran: it gives the lead back after its
      // current handler, and offers it (callbacks_runner::offer_read).
      if (io_thread_leads_ && !lead_requested_) {
        lead_requested_ = true;
        boost::asio::post(*driven_io_, [] {});
      }
      return false;
    }
  }
  lead_releaser released{*this};
  driven_io_->run_one();
  return true;
}

bool session_state::caller_may_lead() const {
  return callers_may_read_.load() && !has_records_.load() && !stopping.load() && !leaving_.load() &&
         hooks_pending_.load() == 0 &&
         !(runner_ && runner_->in_runner_thread());  // a handler's wait runs other handlers
}

session_state::plain_waiting::plain_waiting(session_state& s, const waiter& w)
    : state(s), counted(s.with_io_thread_ && !w.done.load() && !s.inprocess_.load()) {
  if (!counted) return;
  std::lock_guard lock(s.drive_mutex_);
  ++s.plain_waiters_;
  if (!s.driven_now_.load()) s.io_thread_cv_.notify_one();
}

session_state::plain_waiting::~plain_waiting() {
  if (!counted) return;
  std::lock_guard lock(state.drive_mutex_);
  --state.plain_waiters_;
}

void session_state::wake_io_thread() {
  { std::lock_guard lock(drive_mutex_); }  // run_io_thread() between its check and its sleep
  io_thread_cv_.notify_all();
}

void session_state::run_io_thread() {
  using clock = callbacks_runner::clock;
  std::unique_lock lock(drive_mutex_);
  io_thread_id_.store(std::this_thread::get_id());
  auto seen_releases = lead_releases_;
  // How long to sleep while leaders come and go: doubles each time they kept reading
  // meanwhile (a caller calling in a loop), so that the backstop does not wake a thousand
  // times a second beside busy callers; back to io_thread_takeover once it reads.
  auto look_again = std::chrono::duration_cast<clock::duration>(io_thread_takeover);
  while (!driven_io_->stopped()) {
    const bool must_read = io_thread_must_read_locked();
    if (driven_now_.load() || (!must_read && !followers_.empty())) {
      if (driven_now_.load() && lead_releases_ == seen_releases) {
        // One leader since we last looked (an idle callbacks thread, a long call): sleep
        // until it lets go, which wakes us (release_lead_locked).
        io_thread_awaits_release_ = true;
        io_thread_cv_.wait(lock);
        io_thread_awaits_release_ = false;
      } else {
        // Leaders come and go (calls in a loop): look again in a while, not at each release.
        if (lead_releases_ != seen_releases) look_again = std::min<clock::duration>(2 * look_again, io_thread_look_cap);
        seen_releases = lead_releases_;
        io_thread_cv_.wait_for(lock, look_again);
      }
      continue;
    }
    if (!must_read) {
      const auto takeover = lead_free_since_ + io_thread_takeover;
      if (clock::now() < takeover) {
        seen_releases = lead_releases_;
        io_thread_cv_.wait_until(lock, takeover);
        continue;
      }
    }
    look_again = io_thread_takeover;
    driven_now_.store(true);
    io_thread_leads_ = true;
    io_thread_called_ = false;
    // Keeps the lead while nobody else asks for it, so that what comes meanwhile (a write's
    // completion, the next message) is read at once.
    do {
      run_io_thread_hooks(lock);
      lock.unlock();
      driven_io_->run_one();
      lock.lock();
    } while (!driven_io_->stopped() && followers_.empty() && !lead_requested_);
    run_io_thread_hooks(lock);
    lead_requested_ = false;
    io_thread_leads_ = false;
    release_lead_locked();
    seen_releases = lead_releases_;
  }
  run_io_thread_hooks(lock);  // what the end of the client left (its on_leave)
}

void session_state::lead(waiter& w, callbacks_runner::clock::time_point deadline, bool virtual_time) {
  // The lead passes on however this ends (a handler's exception included: on_join, on_leave).
  struct release {
    waiter& w;
    lead_releaser lead;  // released after the body below
    ~release() { w.driving.store(nullptr); }
  } released{w, {*this}};
  auto expired = [&] { return (virtual_time ? now() : callbacks_runner::clock::now()) >= deadline; };
  w.driving.store(driven_io_);
  // Each handler run may have answered us; an answer that comes from another thread, and on a
  // manual clock advance() (the deadline is virtual), wake us by a post (waiter::wake_driver).
  // With an I/O thread behind us, a hook handed to it (on_restore_failed) ends our lead too.
  while (!w.done.load() && w.progress_count.load() == 0 && !expired() &&
         !(with_io_thread_ && hooks_pending_.load() > 0)) {
    if (driven_io_->stopped()) {  // stop() ended the client: nothing will answer
      w.fail(std::make_exception_ptr(NotRunningError("the client was stopped")));
      break;
    }
    if (virtual_time) driven_io_->run_one();
    else driven_io_->run_one_until(deadline);
  }
  // What the answer's handlers left ready (a write's completion that sends the next queued
  // message) runs before the lead is given up: between calls nothing runs.
  run_ready_bounded();
}

void session_state::run_ready_bounded() {
  // Not poll(): a router that keeps sending keeps a read ready, and poll() would never give
  // the caller its answer back. What is left waits for the next call.
  constexpr int max_ready_runs = 16;
  for (int i = 0; i < max_ready_runs && driven_io_->poll_one() > 0; ++i) {
  }
}

void session_state::run_ready_if_idle() {
  if (driven_io_->get_executor().running_in_this_thread()) return;  // the leader runs it
  const bool may_run_here = !with_io_thread_ || caller_may_lead();
  if (!may_run_here && driven_now_.load()) return;  // the leader runs it (the post woke it)
  {
    std::lock_guard lock(drive_mutex_);
    // With an I/O thread only a caller that may lead runs the posted work here; otherwise
    // the leader runs it (the post woke it), or the I/O thread is called to.
    if (with_io_thread_ && (!may_run_here || io_thread_must_read_locked())) {
      if (!driven_now_.load()) {
        io_thread_called_ = true;
        io_thread_cv_.notify_one();
      }
      return;
    }
    if (!take_lead_locked()) return;  // the leader runs it (the post woke it)
  }
  lead_releaser released{*this};
  run_ready_bounded();
}

bool session_state::wait_real_time(waiter& w, callbacks_runner::clock::time_point deadline) {
  if (waits_driving()) return wait_driving(w, deadline, {}, false);
  // On the thread that reads (stop() from on_leave): what it waits for waits behind it.
  if (driven_io_ && (driven_io_->get_executor().running_in_this_thread() || is_io_thread())) {
    return w.done.load();
  }
  plain_waiting counted(*this, w);
  std::unique_lock lock(w.mutex);
  return w.cv.wait_until(lock, deadline, [&] { return w.done.load(); });
}

bool session_state::wait_driving(waiter& w, callbacks_runner::clock::time_point deadline,
                                 const std::function<void(const call_result&)>& on_progress,
                                 bool virtual_time) {
  using clock = callbacks_runner::clock;
  // Called on the leading thread itself (stop() from on_join or on_leave): the session's
  // work waits behind the handler this thread is running, so there is nothing to wait for.
  if (driven_io_->get_executor().running_in_this_thread()) return w.done.load();
  auto expired = [&] { return (virtual_time ? now() : clock::now()) >= deadline; };
  auto answered = [&] { return w.done.load() || w.progress_count.load() > 0; };
  // Answered before waiting (an unacknowledged PUBLISH once written): what the send left
  // ready (its write's completion, which starts the next queued write) runs now, not at the
  // next call.
  if (answered()) run_ready_if_idle();
  for (;;) {
    if (!answered() && !expired() && with_io_thread_ && !caller_may_lead()) {
      // Callers may not lead any more (leave(), stop(), a subscription, the session's end, a
      // hook for the I/O thread): the I/O thread reads for us.
      plain_waiting counted(*this, w);
      std::unique_lock lock(w.mutex);
      auto ready = [&] { return w.done.load() || !w.progress.empty() || (virtual_time && expired()); };
      if (virtual_time) w.cv.wait(lock, ready);
      else w.cv.wait_until(lock, deadline, ready);
    } else if (!answered() && !expired()) {
      bool leads = false;
      {
        std::lock_guard lock(drive_mutex_);
        leads = take_lead_locked();
        if (!leads) followers_.push_back(&w);
      }
      if (!leads) {
        {
          std::unique_lock lock(w.mutex);
          auto ready = [&] {
            return w.done.load() || !w.progress.empty() || !driven_now_.load() || (virtual_time && expired());
          };
          if (virtual_time) w.cv.wait(lock, ready);
          else w.cv.wait_until(lock, deadline, ready);
        }
        std::lock_guard lock(drive_mutex_);
        followers_.erase(std::find(followers_.begin(), followers_.end(), &w));
        // Woken as the next leader: lead, unless answered meanwhile (then the next one does)
        // or callers may not lead any more.
        leads = !answered() && !expired() && (!with_io_thread_ || caller_may_lead()) && take_lead_locked();
        if (!leads) offer_lead_locked();
      }
      if (leads) lead(w, deadline, virtual_time);
    }
    // Done is read first: progressive results pushed while these are handed over (and before
    // the answer) are then handed over at the next turn, not left behind.
    const bool done = w.done.load();
    hand_over_progress(w, on_progress);
    if (done) return true;
    if (expired() && !w.done.load()) return false;
  }
}

bool session_state::wait_through_hook(waiter& w, callbacks_runner::clock::time_point deadline,
                                      const std::function<void(const call_result&)>& on_progress,
                                      std::string_view what, std::string_view subject) {
  std::string description(what);
  if (!subject.empty()) description.append(" ").append(subject);
  for (;;) {
    options_.wait([&] { return w.done.load() || w.progress_count.load() > 0; }, deadline, description);
    const bool done = w.done.load();  // first, as in wait_driving()
    hand_over_progress(w, on_progress);
    if (done) return true;
    if (now() >= deadline && !w.done.load()) return false;
  }
}

}  // namespace autobahn_sync::detail

#include "client/detail/session_state.hpp"

#include <algorithm>

#include <boost/asio/dispatch.hpp>

#include "client/detail/builtin_credentials.hpp"
#include "client/errors.hpp"
#include "client/uris.hpp"

namespace autobahn_sync::detail {
namespace {

// Gives the progressive results that arrived for `w` to `on_progress`, on this thread.
void hand_over_progress(waiter& w, const std::function<void(const call_result&)>& on_progress) {
  std::deque<call_result> progress;
  {
    std::lock_guard lock(w.mutex);
    progress.swap(w.progress);
    w.progress_count.store(0);
  }
  if (on_progress) {
    for (auto& r : progress) on_progress(r);
  }
}

// Runs client_options::on_join or on_leave. Its exception is dropped, as an event
// handler's: it has nobody to go to, and it must not end the thread that reads the
// connection (the I/O thread, or a caller-driven client's waiting caller).
template <class Hook, class Argument>
void call_hook(const Hook& hook, const Argument& argument) {
  try {
    hook(argument);
  } catch (...) {
  }
}

}  // namespace

void waiter::push_progress(call_result r) {
  callbacks_runner* runner;
  {
    std::lock_guard lock(mutex);
    if (done.load()) return;
    progress.push_back(std::move(r));
    progress_count.store(progress.size());
    runner = pumping;
  }
  wake(runner);
}

session_state::session_state(strand_type strand, std::shared_ptr<callbacks_runner> runner,
                             client_options options, challenge_handler on_challenge, bool own_thread,
                             boost::asio::io_context* driven_io)
    : strand_(strand),
      executor_(wamp::gated_executor(strand, gate_)),
      runner_(std::move(runner)),
      options_(std::move(options)),
      on_challenge_(std::move(on_challenge)),
      core_(session_core::hooks{
          [this](const wamp::message& m) -> boost::system::error_code {
            if (!connection_) return wamp::make_error_code(wamp::errc::not_connected);
            return connection_->send(m);
          },
          [this](const wamp::welcome& w) { on_joined(w); },
          [this](std::exception_ptr why) { on_session_closed(why); },
          [this](const wamp::challenge& c) { return answer_challenge(c); },
          [this](wamp::id request) {
            disarm_invocation_deadline(request);
            if (auto it = canceled_flags_.find(request); it != canceled_flags_.end()) {
              it->second->store(true);
              canceled_flags_.erase(it);
            }
          },
          options_.next_request_id,
          [this](std::uint64_t key) { forget_revoked(key); }}) {
  driven_io_ = driven_io;
  caller_spin.set_spin(options_.spin_wait);
  // Inline handlers (callback_threads = 0) and on_leave would run on the delivering thread;
  // on_challenge and on_join run before the session is joined, when the gate never accepts.
  delivery_allowed_ =
      own_thread && options_.callback_threads > 0 && !options_.on_leave && !options_.on_restore_failed;
}

void session_state::update_delivery() {
  gate_->set_accepts_delivery(delivery_allowed_ && joined_.load() && !left_ && !stopping.load());
}

void session_state::watch_clock() {
  if (!options_.clock) return;
  std::weak_ptr<session_state> weak = shared_from_this();
  clock_listener_ = options_.clock->on_advance([weak, foreign = foreign_] {
    foreign->run(weak, [](session_state& self) {
      std::set<std::shared_ptr<waiter>> all;
      {
        std::lock_guard lock(self.waiters_mutex_);
        all = self.waiters_;
      }
      for (auto& w : all) {
        { std::lock_guard lock(w->mutex); }  // a waiter between its check and its sleep
        w->wake(nullptr);
      }
      if (self.runner_) self.runner_->notify();
    });
  });
}

session_state::~session_state() {
  if (options_.clock && clock_listener_) options_.clock->remove_listener(clock_listener_);
  if (options_.clock && virtual_reconnect_) options_.clock->cancel_timer(virtual_reconnect_);
}

namespace {
callbacks_runner::clock::time_point add_timeout(callbacks_runner::clock::time_point from,
                                                std::chrono::milliseconds timeout) {
  // A timeout too long to add (milliseconds::max(): none) waits without a deadline.
  if (timeout >= std::chrono::duration_cast<std::chrono::milliseconds>(callbacks_runner::clock::time_point::max() - from))
    return callbacks_runner::clock::time_point::max();
  return from + timeout;
}
}  // namespace

callbacks_runner::clock::time_point session_state::deadline_in(std::chrono::milliseconds timeout) const {
  return add_timeout(now(), timeout);
}

callbacks_runner::clock::time_point session_state::deadline_of(const waiter& w, std::chrono::milliseconds timeout) const {
  return add_timeout(w.started, timeout);
}

std::shared_ptr<waiter> session_state::make_waiter() {
  auto w = std::make_shared<waiter>();
  w->started = now();
  std::lock_guard lock(waiters_mutex_);
  // stop() sets `stopping` before abandon_all() takes the waiters under this lock: a waiter
  // made after that would never be completed.
  if (stopping.load()) w->fail(std::make_exception_ptr(NotRunningError("the client was stopped")));
  waiters_.insert(w);
  return w;
}

void session_state::forget(const std::shared_ptr<waiter>& w) {
  std::lock_guard lock(waiters_mutex_);
  waiters_.erase(w);
}

void session_state::abandon_all(std::exception_ptr error) {
  std::set<std::shared_ptr<waiter>> all;
  {
    std::lock_guard lock(waiters_mutex_);
    all = waiters_;
  }
  for (auto& w : all) w->fail(error);
}

void session_state::check_usable() const {
  check_running();
  if (!gave_up_flag_.load()) return;
  std::lock_guard lock(snapshot_mutex_);
  std::rethrow_exception(clone_error(gave_up_));
}

bool session_state::on_io_thread() const { return strand_.running_in_this_thread() || gate_->held_here(); }

void session_state::check_running() const {
  if (stopping.load()) throw NotRunningError("the client is not running");
  if (on_io_thread()) {
    throw Error("blocking session calls are not allowed on the client's I/O thread "
                "(on_challenge, on_join, on_leave): they would never be answered");
  }
}

bool session_state::wait(waiter& w, callbacks_runner::clock::time_point deadline,
                         const std::function<void(const call_result&)>& on_progress,
                         std::string_view what, std::string_view subject) {
  using clock = callbacks_runner::clock;
  if (options_.wait) return wait_through_hook(w, deadline, on_progress, what, subject);
  if (driven_io_) return wait_driving(w, deadline, on_progress, options_.clock != nullptr);
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
    if (now() >= deadline) return w.done.load();
  }
}

void session_state::offer_lead_locked() {
  if (driven_now_.load() || followers_.empty()) return;
  waiter* next = followers_.front();
  { std::lock_guard lock(next->mutex); }  // a follower between its check and its sleep
  next->cv.notify_all();
}

bool session_state::take_lead_locked() {
  if (driven_now_.load()) return false;
  driven_now_.store(true);
  return true;
}

void session_state::lead(waiter& w, callbacks_runner::clock::time_point deadline, bool virtual_time) {
  // The lead passes on however this ends (a handler's exception included: on_join, on_leave).
  struct release {
    session_state& s;
    waiter& w;
    ~release() {
      w.driving.store(nullptr);
      std::lock_guard lock(s.drive_mutex_);
      s.driven_now_.store(false);
      s.offer_lead_locked();
    }
  } released{*this, w};
  auto expired = [&] { return (virtual_time ? now() : callbacks_runner::clock::now()) >= deadline; };
  w.driving.store(driven_io_);
  // Each handler run may have answered us; an answer that comes from another thread, and on a
  // manual clock advance() (the deadline is virtual), wake us by a post (waiter::wake_driver).
  while (!w.done.load() && w.progress_count.load() == 0 && !expired()) {
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
  {
    std::lock_guard lock(drive_mutex_);
    if (!take_lead_locked()) return;  // the leader runs it (the post woke it)
  }
  struct release {
    session_state& s;
    ~release() {
      std::lock_guard lock(s.drive_mutex_);
      s.driven_now_.store(false);
      s.offer_lead_locked();
    }
  } released{*this};
  run_ready_bounded();
}

bool session_state::wait_real_time(waiter& w, callbacks_runner::clock::time_point deadline) {
  if (driven_io_) return wait_driving(w, deadline, {}, false);
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
    if (!answered() && !expired()) {
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
        // Woken as the next leader: lead, unless answered meanwhile (then the next one does).
        leads = !answered() && !expired() && take_lead_locked();
        if (!leads) offer_lead_locked();
      }
      if (leads) lead(w, deadline, virtual_time);
    }
    hand_over_progress(w, on_progress);
    if (w.done.load()) return true;
    if (expired()) return false;
  }
}

bool session_state::wait_through_hook(waiter& w, callbacks_runner::clock::time_point deadline,
                                      const std::function<void(const call_result&)>& on_progress,
                                      std::string_view what, std::string_view subject) {
  std::string description(what);
  if (!subject.empty()) description.append(" ").append(subject);
  for (;;) {
    options_.wait([&] { return w.done.load() || w.progress_count.load() > 0; }, deadline, description);
    hand_over_progress(w, on_progress);
    if (w.done.load()) return true;
    if (now() >= deadline) return false;
  }
}

void session_state::start(connector connect, std::string url, join_options join,
                          std::shared_ptr<waiter> join_waiter) {
  connect_ = std::move(connect);
  url_ = std::move(url);
  join_ = std::move(join);
  join_waiter_ = std::move(join_waiter);
  connect_and_join();
}

void session_state::connect_and_join() {
  std::weak_ptr<session_state> weak = shared_from_this();
  connecting_ = true;
  connect_(executor_, url_, [weak](const boost::system::error_code& ec, wamp::connection_ptr conn) {
    auto self = weak.lock();
    if (!self) {
      if (conn) conn->close_abruptly();
      return;
    }
    boost::asio::dispatch(self->executor_, [self, ec, conn] {
      self->connecting_ = false;
      if (ec || !conn) {
        self->connect_failed(std::make_exception_ptr(ConnectionRefusedError(
            "cannot connect to " + self->url_ + ": " +
            (ec ? ec.message() : std::string("no connection")))));
        return self->finish_leave_after_connect();
      }
      const bool wanted = !self->stopping.load() && !self->left_ &&
                          (self->join_waiter_ ? !self->join_waiter_->done.load()
                                              : self->ever_joined_);
      if (!wanted || self->connection_) {
        conn->close_abruptly();
        return self->finish_leave_after_connect();
      }
      self->connection_ = conn;
      self->inline_ok_ = conn->get_executor() == self->executor_;
      std::weak_ptr<session_state> weak = self;
      // Events of a connection that is no longer ours (after a reconnect) are ignored.
      const wamp::connection* current = conn.get();
      conn->start(wamp::connection_handler{
          [weak, current](wamp::message&& m) {
            auto s = weak.lock();
            if (s && s->connection_.get() == current) s->core_.on_message(std::move(m));
          },
          [weak, current](const boost::system::error_code& ec, const std::string& detail) {
            auto s = weak.lock();
            if (s && s->connection_.get() == current) {
              s->core_.on_bad_message(ec.message() + ": " + detail);
            }
          },
          [weak, current](const boost::system::error_code& ec) {
            auto s = weak.lock();
            if (!s || s->connection_.get() != current) return;
            s->connection_.reset();
            s->core_.on_transport_lost(ec ? ec.message() : "connection closed");
          }});
      try {
        self->core_.join(self->join_);
        // run() times the first join itself.
        if (!self->join_waiter_) self->arm_rejoin_deadline();
      } catch (...) {
        self->connection_->close_abruptly();
        self->connection_.reset();
        self->connect_failed(std::current_exception());
      }
    });
  });
}

void session_state::connect_failed(const std::exception_ptr& error) {
  if (auto jw = std::exchange(join_waiter_, nullptr)) {
    jw->fail(error);
    return;
  }
  if (ever_joined_) schedule_reconnect(error);
}

void session_state::on_joined(const wamp::welcome& w) {
  {
    std::lock_guard lock(snapshot_mutex_);
    session_id_ = w.session;
    welcome_details_ = w.details;
  }
  disarm_rejoin_deadline();
  const bool rejoin = ever_joined_;
  ever_joined_ = true;
  attempts_ = 0;
  joined_.store(true);
  if (rejoin) restore_records();
  if (options_.on_join) call_hook(options_.on_join, w.session);
  update_delivery();
  if (auto jw = std::exchange(join_waiter_, nullptr)) jw->complete(nullptr, [](auto&) {});
}

namespace {
// An unsubscribe or unregister whose session is lost meanwhile has done what it was asked:
// the router dropped everything of that session, and the record, gone, is not restored.
std::exception_ptr unless_session_lost(const std::exception_ptr& e) {
  try {
    if (e) std::rethrow_exception(e);
  } catch (const TransportLost&) {
    return nullptr;
  } catch (...) {
  }
  return e;
}
}  // namespace

void session_state::subscribe(wamp::uri topic, wamp::dict options, event_handler handler,
                              std::shared_ptr<std::atomic<bool>> active, std::shared_ptr<waiter> w) {
  if (w->done.load()) return;
  try {
    auto sink = make_event_sink(topic, handler, active);
    std::weak_ptr<session_state> weak = shared_from_this();
    core_.subscribe(topic, options, std::move(sink),
                    [weak, w, topic, options, handler, active](std::exception_ptr e, std::uint64_t key) {
                      auto s = weak.lock();
                      if (e || !s) return (void)w->fail(e);
                      const auto handle = ++s->last_handle_;
                      s->subscription_records_[handle] =
                          subscription_record{topic, options, handler, key, active};
                      if (!w->complete(nullptr, [&](waiter& x) { x.number = handle; })) {
                        // The caller gave up (timeout): undo.
                        s->subscription_records_.erase(handle);
                        s->undo_at_router(&session_core::unsubscribe, key);
                      }
                    });
  } catch (...) {
    w->fail(std::current_exception());
  }
}

void session_state::unsubscribe(std::uint64_t handle, std::shared_ptr<waiter> w) {
  auto it = subscription_records_.find(handle);
  if (it == subscription_records_.end()) return (void)w->fail(nullptr);
  const auto key = it->second.core_key;
  it->second.active->store(false);  // before unsubscribe() returns: queued events are dropped
  subscription_records_.erase(it);
  try {
    core_.unsubscribe(key, [w](std::exception_ptr e) { w->fail(unless_session_lost(e)); });
  } catch (...) {
    w->fail(unless_session_lost(std::current_exception()));
  }
}

void session_state::register_procedure(wamp::uri procedure, wamp::dict options,
                                       procedure_handler handler,
                                       std::shared_ptr<std::atomic<bool>> active,
                                       std::shared_ptr<waiter> w) {
  if (w->done.load()) return;
  try {
    auto sink = make_invocation_sink(procedure, handler);
    std::weak_ptr<session_state> weak = shared_from_this();
    core_.register_procedure(
        procedure, options, std::move(sink),
        [weak, w, procedure, options, handler, active](std::exception_ptr e, std::uint64_t key) {
          auto s = weak.lock();
          if (e || !s) return (void)w->fail(e);
          const auto handle = ++s->last_handle_;
          s->registration_records_[handle] = registration_record{procedure, options, handler, key, active};
          if (!w->complete(nullptr, [&](waiter& x) { x.number = handle; })) {
            s->registration_records_.erase(handle);
            s->undo_at_router(&session_core::unregister, key);
          }
        });
  } catch (...) {
    w->fail(std::current_exception());
  }
}

void session_state::unregister(std::uint64_t handle, std::shared_ptr<waiter> w) {
  auto it = registration_records_.find(handle);
  if (it == registration_records_.end()) return (void)w->fail(nullptr);
  const auto key = it->second.core_key;
  registration_records_.erase(it);
  try {
    core_.unregister(key, [w](std::exception_ptr e) { w->fail(unless_session_lost(e)); });
  } catch (...) {
    w->fail(unless_session_lost(std::current_exception()));
  }
}

void session_state::leave(std::string reason, std::exception_ptr pending_error,
                          std::shared_ptr<waiter> done) {
  left_ = true;
  leaves_->fetch_add(1);
  update_delivery();
  if (reconnect_timer_) reconnect_timer_->cancel();
  if (options_.clock && virtual_reconnect_) options_.clock->cancel_timer(std::exchange(virtual_reconnect_, 0));
  if (core_.current_state() == session_core::state::closed) {
    close_connection();
    // A connection still being made is closed as it arrives: the leave ends then, so that
    // nothing of this client reaches the router after stop() returned.
    if (connecting_) close_waiters_.push_back(std::move(done));
    else done->complete(nullptr, [](auto&) {});
    return;
  }
  close_waiters_.push_back(std::move(done));
  core_.leave(std::move(reason), pending_error);
}

void session_state::finish_leave_after_connect() {
  if (!left_ || core_.current_state() != session_core::state::closed) return;
  for (auto& w : std::exchange(close_waiters_, {})) w->complete(nullptr, [](auto&) {});
}

void session_state::close_connection() {
  if (connection_) connection_->close();
}

void session_state::on_session_closed(std::exception_ptr why) {
  ++sessions_closed_;
  disarm_rejoin_deadline();
  joined_.store(false);
  update_delivery();
  for (auto& [handle, r] : subscription_records_) r.core_key = 0;
  for (auto& [handle, r] : registration_records_) r.core_key = 0;
  // The answers of invocations still running can no longer be sent: let their handlers stop.
  for (auto& [request, flag] : canceled_flags_) flag->store(true);
  canceled_flags_.clear();
  while (!invocation_deadlines_.empty()) disarm_invocation_deadline(invocation_deadlines_.begin()->first);
  close_connection();
  // The transport's close follows; a reconnect must not wait for it.
  connection_.reset();
  // After leave()/stop() the end was asked for, even when the router's answer never came.
  if (options_.on_leave) call_hook(options_.on_leave, left_ ? nullptr : why);
  for (auto& w : std::exchange(close_waiters_, {})) w->complete(nullptr, [](auto&) {});
  if (auto jw = std::exchange(join_waiter_, nullptr)) {
    jw->fail(why ? why : std::make_exception_ptr(TransportLost("the session closed")));
    return;
  }
  if (why && ever_joined_) schedule_reconnect(why);
}

wamp::id session_state::session_id() const {
  std::lock_guard lock(snapshot_mutex_);
  return joined_.load() ? session_id_ : 0;
}

wamp::dict session_state::welcome_details() const {
  std::lock_guard lock(snapshot_mutex_);
  return welcome_details_;
}

wamp::authenticate session_state::answer_challenge(const wamp::challenge& c) {
  if (on_challenge_) return on_challenge_(c);
  return answer_with_credentials(c, options_, join_.authmethods);
}

}  // namespace autobahn_sync::detail

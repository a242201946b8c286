#include "client/detail/session_state.hpp"

#include <algorithm>

#include <boost/asio/dispatch.hpp>

#include "client/detail/builtin_credentials.hpp"
#include "client/errors.hpp"
#include "client/uris.hpp"

namespace autobahn_sync::detail {
namespace {

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
                             boost::asio::io_context* driven_io, bool io_thread)
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
  with_io_thread_ = io_thread && driven_io;
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
  // A caller leaving call() after stop() woke it forgets its waiter under this mutex and
  // holds no reference of its own: taking the mutex orders that forget() before the set is
  // destroyed (the client may be destroyed as soon as such a caller stopped using it).
  { std::lock_guard lock(waiters_mutex_); }
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

bool session_state::on_io_thread() const {
  return strand_.running_in_this_thread() || gate_->held_here() || is_io_thread();
}

void session_state::check_running() const {
  if (stopping.load()) throw NotRunningError("the client is not running");
  if (on_io_thread()) {
    throw Error("blocking session calls are not allowed on the client's I/O thread "
                "(on_challenge, on_join, on_leave): they would never be answered");
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
      self->inprocess_.store(conn->info().transport == "inprocess");
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
  joined_at_ = now();  // attempts_ is reset when the session ends, if it lasted
  joined_.store(true);
  if (rejoin) restore_records();
  if (options_.on_join) call_hook(options_.on_join, w.session);
  update_delivery();
  callers_may_read_.store(with_io_thread_ && connection_ && !inprocess_.load());
  // With handlers the callbacks thread reads from now on while it has none to run.
  if (with_io_thread_ && has_records_.load() && runner_) runner_->offer_read();
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
                      s->records_changed();
                      if (!w->complete(nullptr, [&](waiter& x) { x.number = handle; })) {
                        // The caller gave up (timeout): undo.
                        s->subscription_records_.erase(handle);
                        s->records_changed();
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
  records_changed();
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
          s->records_changed();
          if (!w->complete(nullptr, [&](waiter& x) { x.number = handle; })) {
            s->registration_records_.erase(handle);
            s->records_changed();
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
  records_changed();
  try {
    core_.unregister(key, [w](std::exception_ptr e) { w->fail(unless_session_lost(e)); });
  } catch (...) {
    w->fail(unless_session_lost(std::current_exception()));
  }
}

void session_state::leave(std::string reason, std::exception_ptr pending_error,
                          std::shared_ptr<waiter> done) {
  left_ = true;
  leaving_.store(true);  // its GOODBYE is read on the I/O thread, which runs on_leave
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
  if (joined_.exchange(false) && now() - joined_at_ >= stable_after()) {
    attempts_ = 0;
    delay_ = {};
  }
  callers_may_read_.store(false);  // the I/O thread reads from here on (see "Who reads")
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
  // leave() and stop() return after on_leave, also when it runs later on the I/O thread.
  auto close_waiters = std::exchange(close_waiters_, {});
  auto end_waits = [close_waiters] {
    for (auto& w : close_waiters) w->complete(nullptr, [](auto&) {});
  };
  if (options_.on_leave) {
    run_hook_on_io_thread([hook = options_.on_leave, why = left_ ? nullptr : why, end_waits] {
      call_hook(hook, why);
      end_waits();
    });
  } else {
    end_waits();
  }
  if (auto jw = std::exchange(join_waiter_, nullptr)) {
    jw->fail(why ? why : std::make_exception_ptr(TransportLost("the session closed")));
    return;
  }
  if (why && ever_joined_) schedule_reconnect(why);
}

void session_state::records_changed() {
  const bool any = !subscription_records_.empty() || !registration_records_.empty();
  if (has_records_.exchange(any) == any || !any || !with_io_thread_) return;
  wake_io_thread();
  if (runner_) runner_->offer_read();  // it reads from now on while it has no handler to run
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

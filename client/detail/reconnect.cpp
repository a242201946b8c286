// session_state: reconnecting after a lost session (backoff, giving up, the re-join's
// deadline) and restoring the subscriptions and registrations a new session must hold.
#include "client/detail/session_state.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>

#include "client/detail/reconnect_backoff.hpp"
#include "client/errors.hpp"

namespace autobahn_sync::detail {

void session_state::arm_rejoin_deadline() {
  if (options_.join_timeout.count() <= 0) return;
  std::weak_ptr<session_state> weak = shared_from_this();
  const wamp::connection* current = connection_.get();
  auto expire = [weak, current] {
    auto s = weak.lock();
    if (!s || !s->connection_ || s->connection_.get() != current ||
        s->core_.current_state() != session_core::state::joining) {
      return;
    }
    auto conn = std::move(s->connection_);
    s->core_.on_transport_lost("the router did not answer the join within " +
                               std::to_string(s->options_.join_timeout.count()) + " ms");
    conn->close_abruptly();
  };
  disarm_rejoin_deadline();
  if (options_.clock) {
    virtual_rejoin_ = options_.clock->call_at(
        options_.clock->now() + options_.join_timeout, [weak, foreign = foreign_, expire] {
          foreign->run(weak, [expire](session_state& self) { boost::asio::post(self.executor_, expire); });
        });
    return;
  }
  if (!rejoin_timer_) rejoin_timer_ = std::make_shared<boost::asio::steady_timer>(executor_);
  rejoin_timer_->expires_after(options_.join_timeout);
  rejoin_timer_->async_wait([expire](const boost::system::error_code& ec) {
    if (!ec) expire();
  });
}

void session_state::disarm_rejoin_deadline() {
  if (virtual_rejoin_) options_.clock->cancel_timer(std::exchange(virtual_rejoin_, 0));
  if (rejoin_timer_) rejoin_timer_->cancel();
}

void session_state::schedule_reconnect(const std::exception_ptr& why) {
  const auto& r = options_.reconnect;
  if (!r.enabled || stopping.load() || left_) return;
  if (r.max_attempts > 0 && attempts_ >= r.max_attempts) return give_up_reconnecting(why);
  delay_ = reconnect_delay(r, attempts_, delay_);
  ++attempts_;
  if (options_.clock) {
    // Virtual time: a timer of the manual clock (a simulation jumps time to it).
    std::weak_ptr<session_state> weak = shared_from_this();
    if (virtual_reconnect_) options_.clock->cancel_timer(virtual_reconnect_);
    virtual_reconnect_ = options_.clock->call_at(options_.clock->now() + delay_, [weak, foreign = foreign_] {
      foreign->run(weak, [weak](session_state& self) {
        boost::asio::post(self.executor_, [weak] {
          if (auto s = weak.lock()) {
            s->virtual_reconnect_ = 0;
            s->reconnect_now();
          }
        });
      });
    });
    return;
  }
  if (!reconnect_timer_) reconnect_timer_ = std::make_shared<boost::asio::steady_timer>(executor_);
  reconnect_timer_->expires_after(delay_);
  std::weak_ptr<session_state> weak = shared_from_this();
  reconnect_timer_->async_wait([weak](const boost::system::error_code& ec) {
    if (auto self = weak.lock(); self && !ec) self->reconnect_now();
  });
}

std::chrono::milliseconds session_state::stable_after() const {
  // As long as the last delay, and at least a second.
  return std::max(delay_, std::chrono::milliseconds(std::chrono::seconds(1)));
}

void session_state::give_up_reconnecting(const std::exception_ptr& why) {
  std::string what = "the session was lost and reconnecting gave up after " +
                     std::to_string(attempts_) + (attempts_ == 1 ? " attempt" : " attempts");
  try {
    if (why) std::rethrow_exception(why);
  } catch (const std::exception& e) {
    what += std::string(": ") + e.what();
  } catch (...) {
  }
  std::lock_guard lock(snapshot_mutex_);
  gave_up_ = std::make_exception_ptr(TransportLost(what));
  gave_up_flag_.store(true);
}

std::exception_ptr session_state::reconnect_gave_up() const {
  std::lock_guard lock(snapshot_mutex_);
  return gave_up_;
}

void session_state::reconnect_now() {
  if (stopping.load() || left_) return;
  if (core_.current_state() != session_core::state::closed) return;
  connect_and_join();
}

namespace {
// The router's ERROR to a re-SUBSCRIBE or re-REGISTER, as opposed to the session's loss
// (after which the next rejoin restores again).
bool refused_by_router(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const ApplicationError&) {
    return true;
  } catch (...) {
    return false;
  }
}
}  // namespace

void session_state::undo_at_router(void (session_core::*undo)(std::uint64_t, session_core::done_handler),
                                   std::uint64_t key) {
  try {
    (core_.*undo)(key, [](std::exception_ptr) {});
  } catch (...) {
    // The send failed: the session is going, and takes the subscription or registration along.
    // (Thrown from here it would reach the I/O thread's run() and terminate the process.)
  }
}

template <class Records>
void session_state::restored(Records& records, std::uint64_t handle, std::exception_ptr e,
                             std::uint64_t key, const wamp::uri& uri,
                             void (session_core::*undo)(std::uint64_t, session_core::done_handler)) {
  auto it = records.find(handle);
  if (!e) {
    if (it != records.end()) return (void)(it->second.core_key = key);
    return undo_at_router(undo, key);  // undone meanwhile
  }
  if (it == records.end() || !refused_by_router(e)) return;
  it->second.active->store(false);
  records.erase(it);
  records_changed();
  if (!options_.on_restore_failed) return;
  run_hook_on_io_thread([hook = options_.on_restore_failed, uri, e] {
    try {
      hook(uri, e);
    } catch (...) {
    }
  });
}

void session_state::restore_records() {
  std::weak_ptr<session_state> weak = shared_from_this();
  for (auto& [handle, r] : subscription_records_) {
    try {
      core_.subscribe(r.topic, r.options, make_event_sink(r.topic, r.handler, r.active),
                      [weak, handle = handle, topic = r.topic](std::exception_ptr e, std::uint64_t key) {
                        if (auto s = weak.lock()) {
                          s->restored(s->subscription_records_, handle, e, key, topic, &session_core::unsubscribe);
                        }
                      });
    } catch (...) {
      return;  // the session closed again; the next rejoin restores
    }
  }
  for (auto& [handle, r] : registration_records_) {
    try {
      core_.register_procedure(
          r.procedure, r.options, make_invocation_sink(r.procedure, r.handler),
          [weak, handle = handle, procedure = r.procedure](std::exception_ptr e, std::uint64_t key) {
            if (auto s = weak.lock()) {
              s->restored(s->registration_records_, handle, e, key, procedure, &session_core::unregister);
            }
          });
    } catch (...) {
      return;
    }
  }
}

void session_state::forget_revoked(std::uint64_t core_key) {
  // A revoked subscription or registration is not restored at the next rejoin: the router
  // took it back on purpose.
  for (auto it = subscription_records_.begin(); it != subscription_records_.end(); ++it) {
    if (it->second.core_key != core_key) continue;
    it->second.active->store(false);  // events already queued for its handler are dropped
    subscription_records_.erase(it);
    records_changed();
    return;
  }
  for (auto it = registration_records_.begin(); it != registration_records_.end(); ++it) {
    if (it->second.core_key != core_key) continue;
    it->second.active->store(false);
    registration_records_.erase(it);
    records_changed();
    return;
  }
}

}  // namespace autobahn_sync::detail

#include "client/sync_session.hpp"

#include "client/detail/session_state.hpp"
#include "client/errors.hpp"
#include "client/uris.hpp"

namespace autobahn_sync {
namespace {

using detail::session_state;
using detail::waiter;
using clock = callbacks_runner::clock;

/// Unregisters a waiter from abandon_all() when the blocking call returns.
struct waiter_scope {
  session_state& state;
  std::shared_ptr<waiter> w;
  ~waiter_scope() { state.forget(w); }
};

template <class T>
void put_list(wamp::dict& d, const char* key, const std::vector<T>& v) {
  if (!v.empty()) d[key] = wamp::value(v);
}

void merge(wamp::dict& d, const wamp::dict& extra) {
  for (const auto& [k, v] : extra) d[k] = v;
}

/// Waits for `w`; on expiry completes it with a timeout error, which also wins over a late
/// answer. Rethrows the waiter's error.
void wait_or_throw(session_state& state, waiter& w, std::chrono::milliseconds timeout,
                   const char* what, std::string_view subject,
                   const std::function<void(const call_result&)>& on_progress = {}) {
  if (!state.wait(w, state.deadline_of(w, timeout), on_progress, what, subject)) {
    w.fail(std::make_exception_ptr(ApplicationError(
        wamp::uri(uris::timeout),
        wamp::list{std::string(what) + " timed out after " + std::to_string(timeout.count()) +
                   " ms"})));
  }
  if (w.error) std::rethrow_exception(clone_error(w.error));  // see clone_error
}

}  // namespace

wamp::dict to_dict(const call_options& o) {
  wamp::dict d;
  if (o.on_progress) d["receive_progress"] = true;
  if (o.disclose_me) d["disclose_me"] = *o.disclose_me;
  if (o.router_timeout) d["timeout"] = o.router_timeout->count();
  merge(d, o.extra);
  return d;
}

wamp::dict to_dict(const publish_options& o) {
  wamp::dict d;
  if (o.acknowledge) d["acknowledge"] = true;
  if (o.exclude_me) d["exclude_me"] = *o.exclude_me;
  if (o.disclose_me) d["disclose_me"] = *o.disclose_me;
  put_list(d, "exclude", o.exclude);
  put_list(d, "eligible", o.eligible);
  put_list(d, "exclude_authid", o.exclude_authid);
  put_list(d, "eligible_authid", o.eligible_authid);
  put_list(d, "exclude_authrole", o.exclude_authrole);
  put_list(d, "eligible_authrole", o.eligible_authrole);
  merge(d, o.extra);
  return d;
}

wamp::dict to_dict(const subscribe_options& o) {
  wamp::dict d;
  if (!o.match.empty() && o.match != "exact") d["match"] = o.match;
  merge(d, o.extra);
  return d;
}

wamp::dict to_dict(const register_options& o) {
  wamp::dict d;
  if (!o.match.empty() && o.match != "exact") d["match"] = o.match;
  if (!o.invoke.empty()) d["invoke"] = o.invoke;
  if (o.disclose_caller) d["disclose_caller"] = *o.disclose_caller;
  merge(d, o.extra);
  return d;
}

void call_canceller::cancel(std::string mode) {
  std::function<void(std::string)> fn;
  {
    std::lock_guard lock(mutex_);
    fn = cancel_;
    // With no call running, the request waits for the next one to start.
    requested_ = !fn;
    mode_ = mode;
  }
  if (fn) fn(std::move(mode));
}

bool call_canceller::take_early_cancel() {
  std::lock_guard lock(mutex_);
  return std::exchange(requested_, false);
}

void call_canceller::bind(std::function<void(std::string)> cancel_fn) {
  std::string mode;
  {
    std::lock_guard lock(mutex_);
    cancel_ = cancel_fn;
    if (!requested_ || !cancel_fn) return;
    requested_ = false;  // one cancel(), one call canceled
    mode = mode_;
  }
  cancel_fn(std::move(mode));
}

SyncSession::SyncSession(std::shared_ptr<detail::session_state> state)
    : state_(std::move(state)) {}

call_result SyncSession::call(const wamp::uri& procedure, wamp::list args, wamp::dict kwargs,
                              const call_options& options) {
  state_->check_usable();
  if (options.canceller && options.canceller->take_early_cancel()) {
    throw ApplicationError(wamp::uri(uris::canceled), wamp::list{"the call was canceled before it started"});
  }
  auto w = state_->make_waiter();
  waiter_scope scope{*state_, w};
  // The CALL leaves from this thread when the I/O thread is idle (no wake-up on the way out).
  state_->run_or_post([w, procedure, args = std::move(args), kwargs = std::move(kwargs),
                opts = to_dict(options)](session_state& s) mutable {
    if (w->done.load()) return;
    try {
      w->request = s.core().call(
          procedure, std::move(args), std::move(kwargs), std::move(opts),
          [w](call_outcome&& o) {
            if (o.error) {
              w->fail(o.error);
            } else if (o.progress) {
              w->push_progress(call_result{std::move(o.result.args), std::move(o.result.kwargs),
                                           std::move(o.result.details)});
            } else {
              w->complete(nullptr, [&](waiter& x) {
                x.result = call_result{std::move(o.result.args), std::move(o.result.kwargs),
                                       std::move(o.result.details)};
              });
            }
          });
    } catch (...) {
      w->fail(std::current_exception());
    }
  });
  std::weak_ptr<session_state> weak = state_;
  if (options.canceller) {
    options.canceller->bind([weak, w, foreign = state_->foreign()](std::string mode) {
      foreign->run(weak, [&](session_state& s) {
        s.post_without_driving([w, mode](session_state& st) {
          // skip and killnowait end the call at once; kill waits for the callee's answer.
          std::exception_ptr at_once;
          if (mode != "kill") {
            at_once = std::make_exception_ptr(
                ApplicationError(wamp::uri(uris::canceled), wamp::list{"the call was canceled (" + mode + ")"}));
          }
          if (auto request = w->request.load()) st.core().cancel(request, mode, at_once);
        });
      });
    });
  }
  const auto timeout = options.timeout.value_or(state_->options().call_timeout);
  bool answered = false;
  try {
    answered = state_->wait(*w, state_->deadline_of(*w, timeout), options.on_progress, "call", procedure);
  } catch (...) {
    // The wait threw (on_progress did, or a wait hook): that is the call's outcome, and the
    // call ends at the router too.
    if (options.canceller) options.canceller->bind({});
    if (w->fail(nullptr)) {
      state_->post([w](session_state& s) {
        if (auto request = w->request.load())
          s.core().cancel(request, "killnowait", std::make_exception_ptr(Error("the caller stopped waiting")));
      });
    }
    throw;
  }
  if (options.canceller) options.canceller->bind({});
  if (!answered) {
    auto error = std::make_exception_ptr(ApplicationError(
        wamp::uri(uris::timeout),
        wamp::list{"call to " + procedure + " timed out after " +
                   std::to_string(timeout.count()) + " ms"}));
    if (w->fail(error)) {
      state_->post([w, error](session_state& s) {
        if (auto request = w->request.load()) s.core().cancel(request, "killnowait", error);
      });
    }
  }
  if (w->error) std::rethrow_exception(clone_error(w->error));  // see clone_error
  return std::move(w->result);
}

std::optional<wamp::id> SyncSession::publish(const wamp::uri& topic, wamp::list args,
                                             wamp::dict kwargs,
                                             const publish_options& options) {
  if (!options.acknowledge && state_->on_io_thread()) {
    // A handler running inline (callback_threads = 0) or on_join: an unacknowledged publish
    // waits for nothing, so it is sent at once from here; errors are thrown as usual.
    if (state_->stopping.load()) throw NotRunningError("the client is not running");
    state_->core().publish(topic, std::move(args), std::move(kwargs), to_dict(options),
                           [](std::exception_ptr, wamp::id) {});
    return std::nullopt;
  }
  state_->check_usable();
  auto w = state_->make_waiter();
  waiter_scope scope{*state_, w};
  state_->run_or_post([w, topic, args = std::move(args), kwargs = std::move(kwargs),
                opts = to_dict(options)](session_state& s) mutable {
    if (w->done.load()) return;
    try {
      s.core().publish(topic, std::move(args), std::move(kwargs), std::move(opts),
                       [w](std::exception_ptr e, wamp::id publication) {
                         w->complete(e, [&](waiter& x) { x.number = publication; });
                       });
    } catch (...) {
      w->fail(std::current_exception());
    }
  });
  wait_or_throw(*state_, *w, state_->options().call_timeout, "publish", topic);
  if (!options.acknowledge) return std::nullopt;
  return w->number;
}

namespace {
void refuse_handlers_when_caller_driven(const session_state& state, const char* what) {
  if (state.options().caller_driven_io) {
    throw Error(std::string(what) + " is not available with caller_driven_io: between calls "
                "nothing reads the connection, so its handler would never run");
  }
}
}  // namespace

subscription SyncSession::subscribe(const wamp::uri& topic, event_handler handler,
                                    const subscribe_options& options) {
  state_->check_usable();
  refuse_handlers_when_caller_driven(*state_, "subscribe");
  auto w = state_->make_waiter();
  waiter_scope scope{*state_, w};
  auto active = std::make_shared<std::atomic<bool>>(true);
  state_->post([w, topic, handler = std::move(handler), opts = to_dict(options),
                active](session_state& s) mutable {
    s.subscribe(topic, std::move(opts), std::move(handler), active, w);
  });
  wait_or_throw(*state_, *w, state_->options().call_timeout, "subscribe", topic);
  subscription s;
  s.state_ = state_;
  s.key_ = w->number;
  s.topic_ = topic;
  s.active_ = std::move(active);
  return s;
}

registration SyncSession::register_procedure(const wamp::uri& procedure,
                                             procedure_handler handler,
                                             const register_options& options) {
  state_->check_usable();
  refuse_handlers_when_caller_driven(*state_, "register_procedure");
  auto w = state_->make_waiter();
  waiter_scope scope{*state_, w};
  auto active = std::make_shared<std::atomic<bool>>(true);
  state_->post([w, procedure, handler = std::move(handler), opts = to_dict(options),
                active](session_state& s) mutable {
    s.register_procedure(procedure, std::move(opts), std::move(handler), active, w);
  });
  wait_or_throw(*state_, *w, state_->options().call_timeout, "register", procedure);
  registration r;
  r.state_ = state_;
  r.key_ = w->number;
  r.procedure_ = procedure;
  r.active_ = std::move(active);
  return r;
}

void SyncSession::leave(const std::string& reason) {
  state_->check_running();
  auto w = state_->make_waiter();
  waiter_scope scope{*state_, w};
  state_->post([w, reason](session_state& s) {
    s.leave(reason, std::make_exception_ptr(TransportLost("the session left")), w);
  });
  if (!state_->wait(*w, state_->deadline_of(*w, state_->options().leave_timeout), {}, "leave")) {
    // The router did not answer GOODBYE: drop the connection, which closes the session.
    state_->post([](session_state& s) { s.close_connection(); });
    state_->wait(*w, state_->deadline_in(state_->options().leave_timeout), {}, "leave");
  }
  // stop() meanwhile: NotRunningError, as for every blocked caller.
  if (w->error) std::rethrow_exception(clone_error(w->error));
}

wamp::id SyncSession::id() const { return state_->session_id(); }
wamp::dict SyncSession::welcome_details() const { return state_->welcome_details(); }
bool SyncSession::is_joined() const { return state_->joined(); }

void subscription::unsubscribe() {
  if (!active_ || !active_->exchange(false)) return;
  auto state = state_.lock();
  if (!state || state->stopping.load()) return;
  auto w = state->make_waiter();
  waiter_scope scope{*state, w};
  state->post([w, key = key_](session_state& s) { s.unsubscribe(key, w); });
  wait_or_throw(*state, *w, state->options().call_timeout, "unsubscribe", topic_);
}

bool subscription::active() const { return active_ && active_->load(); }

void registration::unregister() {
  if (!active_ || !active_->exchange(false)) return;
  auto state = state_.lock();
  if (!state || state->stopping.load()) return;
  auto w = state->make_waiter();
  waiter_scope scope{*state, w};
  state->post([w, key = key_](session_state& s) { s.unregister(key, w); });
  wait_or_throw(*state, *w, state->options().call_timeout, "unregister", procedure_);
}

bool registration::active() const { return active_ && active_->load(); }

}  // namespace autobahn_sync

// The sinks through which session_core hands EVENTs and INVOCATIONs to the application's
// handlers: inline on the I/O thread (callback_threads = 0) or through the callbacks runner,
// the way their answers (YIELD, ERROR, progressive results) go back, and an invocation's own
// deadline (INVOCATION.Details.timeout).
#include "client/detail/session_state.hpp"

#include <boost/asio/post.hpp>

#include "client/errors.hpp"
#include "client/uris.hpp"

namespace autobahn_sync::detail {
namespace {

std::string string_of(const wamp::dict& d, const char* key) {
  auto it = d.find(key);
  return it != d.end() && it->second.is_string() ? it->second.get<std::string>() : std::string();
}

std::optional<wamp::id> id_of(const wamp::dict& d, const char* key) {
  auto it = d.find(key);
  if (it == d.end()) return std::nullopt;
  return wamp::as_unsigned(it->second);
}

}  // namespace

session_core::event_sink session_state::make_event_sink(wamp::uri topic, event_handler handler,
                                                        std::shared_ptr<std::atomic<bool>> active) {
  std::weak_ptr<session_state> weak = shared_from_this();
  return [weak, topic, handler, active](const wamp::event& e) {
    auto self = weak.lock();
    if (!self || !active->load()) return;
    event_details details;
    details.topic = string_of(e.details, "topic");
    if (details.topic.empty()) details.topic = topic;
    details.publication = e.publication;
    details.publisher = id_of(e.details, "publisher");
    details.publisher_authid = string_of(e.details, "publisher_authid");
    details.publisher_authrole = string_of(e.details, "publisher_authrole");
    details.details = e.details;
    if (self->options_.callback_threads == 0) {
      try {
        handler(e.args, e.kwargs, details);
      } catch (...) {
        // As on the runner: an event handler's exception has nobody to go to.
      }
      return;
    }
    self->runner_->post([handler, args = e.args, kwargs = e.kwargs, details = std::move(details),
                         leaves = self->leaves_, before = self->leaves_->load(), active] {
      // Not once its client left, nor once its subscription was ended.
      if (leaves->load() == before && active->load()) handler(args, kwargs, details);
    });
  };
}

session_core::invocation_sink session_state::make_invocation_sink(wamp::uri procedure,
                                                                  procedure_handler handler) {
  std::weak_ptr<session_state> weak = shared_from_this();
  return [weak, procedure, handler](wamp::invocation&& inv) {
    auto self = weak.lock();
    if (!self) return;
    const auto request = inv.request;
    auto flag = std::make_shared<std::atomic<bool>>(false);
    self->canceled_flags_[request] = flag;
    invocation_details details;
    details.procedure = string_of(inv.details, "procedure");
    if (details.procedure.empty()) details.procedure = procedure;
    details.request = request;
    details.caller = id_of(inv.details, "caller");
    details.caller_authid = string_of(inv.details, "caller_authid");
    details.caller_authrole = string_of(inv.details, "caller_authrole");
    if (auto it = inv.details.find("receive_progress");
        it != inv.details.end() && it->second.is_boolean()) {
      details.receive_progress = it->second.get<bool>();
    }
    if (auto t = id_of(inv.details, "timeout"); t && *t > 0 && *t <= std::uint64_t{1} << 40) {
      details.timeout = std::chrono::milliseconds(*t);
      // We announce call_timeout as a callee: past it, the caller gets wamp.error.timeout
      // and the handler sees canceled(); what it returns later is dropped.
      self->arm_invocation_deadline(request, *details.timeout);
    }
    details.details = std::move(inv.details);
    details.canceled_ = flag;
    const auto session_no = self->sessions_closed_;
    if (details.receive_progress) {
      details.progress = [weak, request, session_no, timeout = details.timeout](wamp::list args, wamp::dict kwargs) {
        if (auto s = weak.lock()) {
          s->run_or_post([request, session_no, timeout, args = std::move(args), kwargs = std::move(kwargs)](
                             session_state& st) mutable {
            if (st.sessions_closed_ != session_no) return;  // its session is gone
            // With progressive results the timeout bounds the wait for each result, as the
            // router's does (the spec's "Timeouts" of progressive call results).
            if (timeout && st.invocation_deadlines_.count(request)) {
              st.disarm_invocation_deadline(request);
              st.arm_invocation_deadline(request, *timeout);
            }
            st.core_.yield(request, std::move(args), std::move(kwargs), true);
          });
        }
      };
    } else {
      details.progress = [](wamp::list, wamp::dict) {};
    }
    auto answer = [weak, request, session_no](std::function<void(session_core&)> f) {
      // From a handler thread the answer leaves from here when the I/O thread is idle.
      if (auto s = weak.lock()) {
        s->run_or_post([request, session_no, f = std::move(f)](session_state& st) {
          // Its session is gone: the same request id may be another caller's invocation now.
          if (st.sessions_closed_ != session_no) return;
          st.canceled_flags_.erase(request);
          st.disarm_invocation_deadline(request);
          f(st.core_);
        });
      }
    };
    auto run_handler =
        [handler, answer = std::move(answer), args = std::move(inv.args), kwargs = std::move(inv.kwargs),
         details = std::move(details), request, leaves = self->leaves_,
         before = self->leaves_->load()]() {
          // Its client left (leave(), stop()) while it waited: it does not start.
          if (leaves->load() != before) return;
          try {
            auto r = handler(args, kwargs, details);
            answer([request, r = std::move(r)](session_core& core) mutable {
              core.yield(request, std::move(r.args), std::move(r.kwargs));
            });
          } catch (const ApplicationError& e) {
            answer([request, uri = e.error(), a = e.args(), k = e.kwargs()](session_core& core) {
              core.invocation_error(request, uri, a, k);
            });
          } catch (const std::exception& e) {
            answer([request, what = std::string(e.what())](session_core& core) {
              core.invocation_error(request, wamp::uri(uris::runtime_error), wamp::list{what});
            });
          } catch (...) {
            answer([request](session_core& core) {
              core.invocation_error(request, wamp::uri(uris::runtime_error),
                                    wamp::list{"unknown exception in the procedure handler"});
            });
          }
        };
    if (self->options_.callback_threads == 0) return run_handler();
    const bool queued = self->runner_->post(std::move(run_handler));
    if (!queued) {
      self->canceled_flags_.erase(request);
      self->disarm_invocation_deadline(request);
      self->core_.invocation_error(request, wamp::uri(uris::runtime_error),
                                   wamp::list{"the callee cannot run handlers (stopped or "
                                              "queue full)"});
    }
  };
}

// An invocation's own deadline (INVOCATION.Details.timeout, the call_timeout feature).
void session_state::arm_invocation_deadline(wamp::id request, std::chrono::milliseconds timeout) {
  std::weak_ptr<session_state> weak = shared_from_this();
  auto expire = [weak, request, session = sessions_closed_] {
    auto s = weak.lock();
    // Its session is gone: the same request id may be another invocation now.
    if (!s || s->sessions_closed_ != session) return;
    s->invocation_deadlines_.erase(request);
    s->core_.expire_invocation(request);
  };
  auto& deadline = invocation_deadlines_[request];
  if (options_.clock) {
    deadline.virtual_key = options_.clock->call_at(options_.clock->now() + timeout, [weak, foreign = foreign_, expire] {
      foreign->run(weak, [expire](session_state& self) { boost::asio::post(self.executor_, expire); });
    });
    return;
  }
  deadline.timer = std::make_shared<boost::asio::steady_timer>(executor_, timeout);
  deadline.timer->async_wait([expire](const boost::system::error_code& ec) {
    if (!ec) expire();
  });
}

void session_state::disarm_invocation_deadline(wamp::id request) {
  const auto it = invocation_deadlines_.find(request);
  if (it == invocation_deadlines_.end()) return;
  if (it->second.timer) it->second.timer->cancel();
  if (it->second.virtual_key) options_.clock->cancel_timer(it->second.virtual_key);
  invocation_deadlines_.erase(it);
}

}  // namespace autobahn_sync::detail

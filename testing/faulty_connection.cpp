#include "testing/faulty_connection.hpp"

#include <boost/asio/post.hpp>

#include "wamp/serializer.hpp"

namespace autobahn_sync::testing {

std::shared_ptr<faulty_connection> faulty_connection::wrap(wamp::connection_ptr inner, std::string session,
                                                           std::shared_ptr<fault_plan> plan,
                                                           std::shared_ptr<message_trace> trace,
                                                           raw_sender send_raw, end wrapped) {
  return std::shared_ptr<faulty_connection>(new faulty_connection(
      std::move(inner), std::move(session), std::move(plan), std::move(trace), std::move(send_raw), wrapped));
}

faulty_connection::faulty_connection(wamp::connection_ptr inner, std::string session,
                                     std::shared_ptr<fault_plan> plan,
                                     std::shared_ptr<message_trace> trace, raw_sender send_raw, end wrapped)
    : inner_(std::move(inner)),
      session_(std::move(session)),
      plan_(std::move(plan)),
      trace_(std::move(trace)),
      send_raw_(std::move(send_raw)),
      end_(wrapped) {}

void faulty_connection::start(wamp::connection_handler handler) {
  handler_ = std::move(handler);
  std::weak_ptr<faulty_connection> weak = shared_from_this();
  wamp::connection_handler inner;
  inner.on_message = [weak](wamp::message&& msg) {
    if (auto self = weak.lock()) self->pass(self->incoming(), std::move(msg));
  };
  inner.on_bad_message = [weak](const boost::system::error_code& ec, const std::string& detail) {
    if (auto self = weak.lock(); self && self->handler_.on_bad_message) self->handler_.on_bad_message(ec, detail);
  };
  inner.on_close = [weak](const boost::system::error_code& ec) {
    if (auto self = weak.lock(); self && self->handler_.on_close) self->handler_.on_close(ec);
  };
  inner_->start(std::move(inner));
}

boost::system::error_code faulty_connection::send(const wamp::message& msg) {
  in_send_ = true;
  const auto ec = pass(outgoing(), msg);
  in_send_ = false;
  return ec;
}

boost::system::error_code faulty_connection::pass(direction dir, wamp::message msg) {
  const observed_message observed{dir, session_, phase_, msg};
  std::weak_ptr<faulty_connection> weak = weak_from_this();
  auto decision = plan_->decide(observed, [&]() -> fault_plan::release_fn {
    return [weak, dir, msg] {
      auto self = weak.lock();
      if (!self) return;
      boost::asio::post(self->get_executor(), [self, dir, msg] {
        self->record(dir, msg, {}, "released");
        self->deliver(dir, msg);
      });
    };
  });
  if (decision.rule.empty()) {
    record(dir, msg, {}, "");
    return deliver(dir, msg);
  }
  record(dir, msg, decision.rule, decision.action.c_str());
  boost::system::error_code result;
  for (auto& s : decision.steps) {
    switch (s.what) {
      case step::kind::deliver:
        if (s.msg == msg) {
          result = deliver(dir, s.msg);
        } else {
          record(dir, s.msg, decision.rule, "injected");
          deliver(dir, s.msg);
        }
        break;
      case step::kind::deliver_bad: deliver_bad(dir, s.msg, s.bytes); break;
      case step::kind::send_back: {
        const direction back = dir == direction::to_router ? direction::to_client : direction::to_router;
        record(back, s.msg, decision.rule, "answered by rule");
        deliver(back, s.msg);
        break;
      }
      case step::kind::close: inner_->close_abruptly(); break;
    }
  }
  return result;
}

boost::system::error_code faulty_connection::deliver(direction dir, const wamp::message& msg) {
  phase_ = next_phase(phase_, msg);
  if (dir == outgoing()) return inner_->send(msg);
  if (in_send_) {
    // An answer to what the handler's owner is sending right now: it must not re-enter the
    // owner inside its own send() (the request is not registered until send() returns).
    boost::asio::post(get_executor(), [self = shared_from_this(), msg] {
      if (self->handler_.on_message) {
        wamp::message copy = msg;
        self->handler_.on_message(std::move(copy));
      }
    });
    return {};
  }
  if (handler_.on_message) {
    wamp::message copy = msg;
    handler_.on_message(std::move(copy));
  }
  return {};
}

void faulty_connection::deliver_bad(direction dir, const wamp::message& msg, const std::string& bytes) {
  std::string payload = bytes;
  if (payload.empty()) {
    // Truncation: the message's own encoding, cut in half.
    const auto* s = wamp::find_serializer(info().serializer == "msgpack" ? "wamp.2.msgpack" : "wamp.2.json");
    if (s && !s->encode(msg, payload)) payload.resize(payload.size() / 2);
  }
  if (dir == incoming()) {
    if (handler_.on_bad_message) {
      const auto decoded = wamp::serializer_for(info().serializer == "msgpack" ? wamp::serializer_kind::msgpack
                                                                               : wamp::serializer_kind::json)
                               .decode(payload);
      handler_.on_bad_message(decoded.ok() ? make_error_code(wamp::errc::malformed) : decoded.error,
                              decoded.ok() ? "corrupted by a fault rule" : decoded.detail);
    }
  } else if (send_raw_) {
    send_raw_(std::move(payload));
  } else {
    inner_->close_abruptly();
  }
}

void faulty_connection::record(direction dir, const wamp::message& msg, const std::string& rule,
                               const char* note) {
  if (trace_) trace_->record(session_, dir, msg, rule, note);
}

}  // namespace autobahn_sync::testing

#include "testing/faulty_connection.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>

#include "wamp/serializer.hpp"

namespace autobahn_sync::testing {
namespace {

std::string in_ms(std::chrono::steady_clock::duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + "ms";
}

void append(std::string& to, const std::string& part, const char* separator) {
  if (part.empty()) return;
  if (!to.empty()) to += separator;
  to += part;
}

}  // namespace

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

faulty_connection::~faulty_connection() {
  if (clock_ && clock_timer_) clock_->cancel_timer(clock_timer_);
  trace_lost(direction::to_router, "lost: connection destroyed");
  trace_lost(direction::to_client, "lost: connection destroyed");
}

void faulty_connection::use_clock(std::shared_ptr<wamp::manual_clock> clock) {
  if (clock_ && clock_timer_) clock_->cancel_timer(clock_timer_);
  clock_timer_ = 0;
  clock_ = std::move(clock);
}

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
    auto self = weak.lock();
    if (!self) return;
    self->ended_ = true;
    // What arrived before the end of the stream is read first, as from a socket.
    auto arrived = std::exchange(self->queue_[index(self->incoming())], {});
    for (auto& p : arrived) self->run(p);
    self->trace_lost(self->outgoing(), "lost: transport closed");
    if (self->timer_) self->timer_->cancel();
    if (self->handler_.on_close) self->handler_.on_close(ec);
  };
  inner_->start(std::move(inner));
}

boost::system::error_code faulty_connection::send(const wamp::message& msg) {
  in_send_ = true;
  const auto ec = pass(outgoing(), msg);
  in_send_ = false;
  return ec;
}

void faulty_connection::close() {
  // What this end sends leaves first, as a socket flushes its buffer; what it would still
  // receive is not wanted any more.
  auto leaving = std::exchange(queue_[index(outgoing())], {});
  for (auto& p : leaving) run(p);
  ended_ = true;
  trace_lost(incoming(), "not delivered: connection closed by its owner");
  if (timer_) timer_->cancel();
  inner_->close();
}

void faulty_connection::close_abruptly() {
  ended_ = true;
  trace_lost(direction::to_router, "lost: transport dropped");
  trace_lost(direction::to_client, "lost: transport dropped");
  if (timer_) timer_->cancel();
  inner_->close_abruptly();
}

std::string faulty_connection::encode(const wamp::message& msg) const {
  const auto& s = wamp::serializer_for(info().serializer == "msgpack" ? wamp::serializer_kind::msgpack
                                                                      : wamp::serializer_kind::json);
  std::string out;
  if (s.encode(msg, out)) out.clear();
  return out;
}

boost::system::error_code faulty_connection::pass(direction dir, wamp::message msg) {
  // Link delays count from the message's arrival, read before any rule counts it as a hit: a
  // test that advances the clock once a rule fired must find the message already on its way.
  const auto t = now();
  const observed_message observed{dir, session_, phase_, msg};
  std::weak_ptr<faulty_connection> weak = weak_from_this();
  // Sliced (or not) by the other end as it wrote the message: its slice rules were decided there.
  std::optional<std::vector<link_effect>> sliced_by_peer;
  if (dir == incoming() && peer_slicing_) sliced_by_peer = peer_slicing_(msg);
  const auto rules = sliced_by_peer ? fault_plan::rule_set::all_but_slice : fault_plan::rule_set::all;
  auto decision = plan_->decide(observed, [&]() -> fault_plan::release_fn {
    return [weak, dir, msg, trace = trace_, session = session_] {
      auto self = weak.lock();
      if (!self) {
        // Released after its connection ended: said in the trace, not lost silently.
        if (trace) trace->record(session, dir, msg, {}, "lost: released after its connection ended");
        return;
      }
      boost::asio::post(self->get_executor(), [self, dir, msg] {
        if (self->ended_) {
          // The object outlives its transport (a client keeps it until it reconnects).
          self->record(dir, msg, {}, "lost: released after its connection ended");
          return;
        }
        self->deliver_in_order(dir, msg, {}, "released");
      });
    };
  }, rules);
  if (sliced_by_peer) decision.link.insert(decision.link.end(), sliced_by_peer->begin(), sliced_by_peer->end());
  auto& queue = queue_[index(dir)];
  if (decision.rule.empty() && decision.link.empty() && queue.empty()) {
    record(dir, msg, {}, "");
    return deliver(dir, msg);
  }

  // What to do, in order; the message's own deliveries are the ones link rules shape.
  std::vector<pending> todo;
  const auto is_own_delivery = [&](const pending& p) {
    return p.what.what == step::kind::deliver && p.what.original;
  };
  std::string link_rules;
  for (const auto& e : decision.link) append(link_rules, e.rule, "; ");
  if (decision.rule.empty()) {
    todo.push_back({step{step::kind::deliver, msg, {}, 0, true}, dir, link_rules, std::string()});
  } else {
    // The fate was decided now: traced now, with the link rules that also selected it.
    std::string rule = decision.rule;
    append(rule, link_rules, "; ");
    record(dir, msg, rule, decision.action);
    decision.unsettled.reset();  // hits() and held() may count it now
    for (auto& s : decision.steps) {
      if (s.what == step::kind::send_back) {
        // Answered in the other party's place: no link between the rule and the sender.
        const direction back = dir == direction::to_router ? direction::to_client : direction::to_router;
        deliver_in_order(back, s.msg, decision.rule, "answered by rule");
        continue;
      }
      pending p{s, dir, decision.rule, std::nullopt};
      if (s.what == step::kind::deliver && !s.original) p.note = "injected";
      todo.push_back(std::move(p));
    }
  }

  // Dropped, held or answered: nothing goes this way, so it takes no time on the link.
  if (todo.empty()) return {};

  // Link rules: when the message is due, how it is written, whether it crosses a byte limit.
  const bool delivered = std::any_of(todo.begin(), todo.end(), is_own_delivery);
  auto due = t;
  std::string link_note;
  std::size_t piece_bytes = 0;
  std::optional<std::size_t> cut_after;
  std::optional<std::size_t> size;
  const auto encoded_size = [&] {
    if (!size) size = encode(msg).size();
    return *size;
  };
  const std::size_t i = index(dir);
  std::chrono::microseconds latency{0};
  for (const auto& e : decision.link) {
    switch (e.what) {
      case action::kind::latency:
        latency += e.delay;
        append(link_note, "latency " + in_ms(e.delay), ", ");
        break;
      case action::kind::bandwidth: {
        // A link of that rate: the message starts when the previous one finished.
        const auto start = std::max(due, link_free_[i]);
        link_free_[i] = start + std::chrono::microseconds(encoded_size() * 1'000'000 / e.bytes);
        append(link_note, "bandwidth " + in_ms(link_free_[i] - due), ", ");
        due = link_free_[i];
        break;
      }
      case action::kind::slice: piece_bytes = piece_bytes ? std::min(piece_bytes, e.bytes) : e.bytes; break;
      case action::kind::close_after_bytes: {
        if (!delivered) break;
        auto& passed = bytes_passed_[{e.rule_key, i}];
        const auto fits = e.bytes - std::min(passed, e.bytes);
        if (encoded_size() >= fits && !cut_after) {
          cut_after = fits;
          append(link_note,
                 "cut after " + std::to_string(e.bytes) + " bytes: " + std::to_string(std::min(fits, encoded_size())) +
                     " of " + std::to_string(encoded_size()) + " bytes sent, then the transport dropped",
                 ", ");
        }
        passed += encoded_size();
        break;
      }
      default: break;
    }
  }
  if (piece_bytes) {
    if (dir != outgoing() && !sliced_by_peer) {
      append(link_note, "slice skipped: this end receives it whole", ", ");
    } else if (info().transport == "inprocess") {
      append(link_note, "slice skipped: in-process has no byte stream", ", ");
    } else {
      // RawSocket slices the frame (4-byte header included); WebSocket the payload.
      const auto bytes = encoded_size() + (info().transport == "rawsocket" ? 4 : 0);
      append(link_note,
             "sliced into " + std::to_string((bytes + piece_bytes - 1) / piece_bytes) + " pieces of <= " +
                 std::to_string(piece_bytes) + " bytes",
             ", ");
    }
  }
  due += latency;
  due = std::max(due, last_due_[i]);  // never before what went the same way earlier
  last_due_[i] = due;
  for (auto& p : todo) {
    p.due = due;
    if (is_own_delivery(p)) {
      p.piece_bytes = dir == outgoing() ? piece_bytes : 0;
      p.cut_after = cut_after;
      if (p.note) p.note = *p.note + (p.note->empty() || link_note.empty() ? "" : ", ") + link_note;
    }
  }
  if (!decision.rule.empty() && !link_note.empty()) {
    // Traced at entry above; the link's effect shows on the delayed deliveries' own lines.
    for (auto& p : todo)
      if (is_own_delivery(p) && (due > t || p.cut_after || p.piece_bytes)) p.note = "delivered: " + link_note;
  }

  // A cut ends the connection: nothing after the message that crosses the limit goes out.
  if (const auto cut = std::find_if(todo.begin(), todo.end(), [](const pending& p) { return p.cut_after.has_value(); });
      cut != todo.end())
    todo.erase(cut + 1, todo.end());

  if (due <= t && queue.empty()) {
    boost::system::error_code result;
    for (auto& p : todo) {
      const auto ec = run(p);
      if (is_own_delivery(p)) result = ec;
    }
    return result;
  }
  if (queue.size() + todo.size() > max_delayed_messages) {
    // A test that delays without ever advancing the clock must not grow without bound.
    for (auto& p : todo) record(dir, p.what.msg, p.rule, "lost: delay queue full, transport dropped");
    close_abruptly();
    return wamp::errc::send_queue_full;
  }
  for (auto& p : todo) queue.push_back(std::move(p));
  arm_timer();
  return {};
}

boost::system::error_code faulty_connection::run(pending& p) {
  if (p.note) {
    const auto late = std::max(now() - p.due, std::chrono::steady_clock::duration::zero());
    record(p.dir, p.what.msg, p.rule, *p.note, std::chrono::duration_cast<std::chrono::milliseconds>(late));
  }
  switch (p.what.what) {
    case step::kind::deliver:
      if (p.cut_after) {
        deliver_cut(p.dir, p.what.msg, *p.cut_after);
        return {};
      }
      if (p.piece_bytes) {
        phase_ = next_phase(phase_, p.what.msg);
        return inner_->send_in_pieces(p.what.msg, p.piece_bytes);
      }
      return deliver(p.dir, p.what.msg);
    case step::kind::deliver_bad: deliver_bad(p.dir, p.what.msg, p.what.bytes); return {};
    case step::kind::send_back: return {};  // done in pass()
    case step::kind::close: inner_->close_abruptly(); return {};
    case step::kind::close_with_code: inner_->close_with_code(p.what.code, p.what.bytes); return {};
  }
  return {};
}

boost::system::error_code faulty_connection::deliver_in_order(direction dir, const wamp::message& msg,
                                                                const std::string& rule, const std::string& note) {
  const auto i = index(dir);
  auto& queue = queue_[i];
  if (queue.empty()) {
    record(dir, msg, rule, note);
    return deliver(dir, msg);
  }
  // Behind what a link rule delays on the same way: a message never overtakes one sent earlier.
  const auto due = std::max(now(), last_due_[i]);
  last_due_[i] = due;
  queue.push_back({step{step::kind::deliver, msg, {}}, dir, rule, note, 0, std::nullopt, due});
  arm_timer();
  return {};
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

void faulty_connection::deliver_cut(direction dir, const wamp::message& msg, std::size_t bytes) {
  const std::string encoded = encode(msg);
  if (dir == outgoing() && info().transport != "inprocess") {
    // The socket writes the part that fits and drops the transport itself.
    phase_ = next_phase(phase_, msg);
    inner_->send_cut_short(msg, bytes);
    return;
  }
  if (bytes >= encoded.size()) {
    // The whole message fits: it arrives, then the transport drops (an orderly close lets the
    // in-process pair deliver it first).
    deliver(dir, msg);
    inner_->close();
    return;
  }
  if (bytes > 0) deliver_bad(dir, msg, encoded.substr(0, bytes));
  inner_->close_abruptly();
}

void faulty_connection::deliver_bad(direction dir, const wamp::message& msg, const std::string& bytes) {
  std::string payload = bytes;
  if (payload.empty()) {
    // Truncation: the message's own encoding, cut in half.
    payload = encode(msg);
    payload.resize(payload.size() / 2);
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

void faulty_connection::run_due() {
  const auto t = now();
  while (true) {
    // The earliest head that is due, of either direction.
    std::deque<pending>* next = nullptr;
    for (auto& q : queue_)
      if (!q.empty() && q.front().due <= t && (!next || q.front().due < next->front().due)) next = &q;
    if (!next) break;
    pending p = std::move(next->front());
    next->pop_front();
    run(p);
  }
  arm_timer();
}

void faulty_connection::arm_timer() {
  std::optional<time_point> earliest;
  for (const auto& q : queue_)
    if (!q.empty() && (!earliest || q.front().due < *earliest)) earliest = q.front().due;
  if (clock_) {
    // A virtual timer: advance() runs it, and a simulation knows to jump to it.
    if (clock_timer_) clock_->cancel_timer(std::exchange(clock_timer_, 0));
    if (!earliest) return;
    auto wake = [weak = weak_from_this(), executor = get_executor()] {
      boost::asio::post(executor, [weak] {
        if (auto self = weak.lock()) self->run_due();
      });
    };
    // Already due (the clock moved on while the message was being decided): run it now.
    if (*earliest <= clock_->now()) return wake();
    clock_timer_ = clock_->call_at(*earliest, std::move(wake));
    return;
  }
  if (!earliest) return;
  if (!timer_) timer_.emplace(get_executor());
  timer_->expires_at(*earliest);
  timer_->async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->run_due();
  });
}

void faulty_connection::trace_lost(direction dir, const char* why) {
  auto& q = queue_[index(dir)];
  for (const auto& p : q)
    if (p.what.what == step::kind::deliver || p.what.what == step::kind::deliver_bad)
      record(dir, p.what.msg, p.rule, why);
  q.clear();
}

void faulty_connection::record(direction dir, const wamp::message& msg, const std::string& rule,
                               const std::string& note, std::chrono::milliseconds earlier) {
  if (trace_) trace_->record(session_, dir, msg, rule, note, earlier);
}

}  // namespace autobahn_sync::testing

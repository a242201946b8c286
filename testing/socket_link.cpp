#include "testing/socket_link.hpp"

#include <algorithm>

#include "wamp/serializer.hpp"

namespace autobahn_sync::testing {

// ---- socket_link ----------------------------------------------------------------------------

void socket_link::wrote(wamp::message_type type, std::vector<link_effect> slices, std::size_t pieces) {
  std::lock_guard lock(mutex_);
  in_flight_.push_back({type, std::move(slices), pieces});
  pieces_ += pieces;
}

void socket_link::not_written() {
  std::lock_guard lock(mutex_);
  if (in_flight_.empty()) return;
  pieces_ -= in_flight_.back().pieces;
  in_flight_.pop_back();
}

std::optional<std::vector<link_effect>> socket_link::arrived(const wamp::message& msg) {
  std::lock_guard lock(mutex_);
  // A socket keeps the order: the message that arrives is the oldest one written. One the
  // router's end never announced (a type that differs) is left to the client's end.
  if (in_flight_.empty() || in_flight_.front().type != wamp::type_of(msg)) return std::nullopt;
  auto slices = std::move(in_flight_.front().slices);
  in_flight_.pop_front();
  return slices;
}

std::size_t socket_link::pieces_written() const {
  std::lock_guard lock(mutex_);
  return pieces_;
}

// ---- socket_links ---------------------------------------------------------------------------

std::shared_ptr<socket_link> socket_links::open(std::string session) {
  std::lock_guard lock(mutex_);
  const auto id = next_id_++;
  auto link = std::make_shared<socket_link>(id, std::move(session));
  links_.emplace(id, link);
  return link;
}

std::shared_ptr<socket_link> socket_links::find(std::uint64_t id) const {
  std::lock_guard lock(mutex_);
  const auto it = links_.find(id);
  return it == links_.end() ? nullptr : it->second;
}

std::size_t socket_links::pieces_written_to(const std::string& session) const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& [id, link] : links_)
    if (link->session() == session) n += link->pieces_written();
  return n;
}

// ---- the client's end: HELLO marked -----------------------------------------------------------

namespace {

wamp::message marked(const wamp::message& msg, std::uint64_t id) {
  const auto* hello = std::get_if<wamp::hello>(&msg);
  if (!hello) return msg;
  wamp::hello copy = *hello;
  copy.details[link_mark] = id;
  return copy;
}

class hello_marking_connection final : public wamp::connection {
 public:
  hello_marking_connection(wamp::connection_ptr inner, std::shared_ptr<socket_link> link)
      : inner_(std::move(inner)), link_(std::move(link)) {}

  executor_type get_executor() const override { return inner_->get_executor(); }
  void start(wamp::connection_handler handler) override { inner_->start(std::move(handler)); }
  boost::system::error_code send(const wamp::message& msg) override { return inner_->send(marked(msg, link_->id())); }
  void close() override { inner_->close(); }
  void close_abruptly() override { inner_->close_abruptly(); }
  const wamp::connection_info& info() const noexcept override { return inner_->info(); }
  boost::system::error_code send_in_pieces(const wamp::message& msg, std::size_t piece_bytes) override {
    return inner_->send_in_pieces(marked(msg, link_->id()), piece_bytes);
  }
  // Cut where the fault rule said, in the message as the rule measured it: unmarked (the
  // router never reads a cut HELLO, so it needs no mark).
  void send_cut_short(const wamp::message& msg, std::size_t bytes) override { inner_->send_cut_short(msg, bytes); }
  void close_with_code(std::uint16_t code, const std::string& reason) override {
    inner_->close_with_code(code, reason);
  }

 private:
  wamp::connection_ptr inner_;
  std::shared_ptr<socket_link> link_;
};

}  // namespace

wamp::connection_ptr mark_hello(wamp::connection_ptr inner, std::shared_ptr<socket_link> link) {
  return std::make_shared<hello_marking_connection>(std::move(inner), std::move(link));
}

// ---- the router's end ------------------------------------------------------------------------

std::shared_ptr<router_end_slicer> router_end_slicer::wrap(wamp::connection_ptr inner, std::shared_ptr<fault_plan> plan,
                                                           std::shared_ptr<socket_links> links) {
  return std::shared_ptr<router_end_slicer>(new router_end_slicer(std::move(inner), std::move(plan), std::move(links)));
}

void router_end_slicer::start(wamp::connection_handler handler) {
  handler_ = std::move(handler);
  std::weak_ptr<router_end_slicer> weak = shared_from_this();
  wamp::connection_handler inner;
  inner.on_message = [weak](wamp::message&& msg) {
    if (auto self = weak.lock()) self->received(std::move(msg));
  };
  inner.on_bad_message = [weak](const boost::system::error_code& ec, const std::string& detail) {
    if (auto self = weak.lock(); self && self->handler_.on_bad_message) self->handler_.on_bad_message(ec, detail);
  };
  inner.on_close = [weak](const boost::system::error_code& ec) {
    if (auto self = weak.lock(); self && self->handler_.on_close) self->handler_.on_close(ec);
  };
  inner_->start(std::move(inner));
}

void router_end_slicer::received(wamp::message&& msg) {
  if (auto* hello = std::get_if<wamp::hello>(&msg)) {
    // The mark names the client; the router reads the HELLO the client's end meant to send.
    if (const auto it = hello->details.find(link_mark); it != hello->details.end()) {
      if (it->second.is_number_unsigned() && !link_) link_ = links_->find(it->second.get<std::uint64_t>());
      hello->details.erase(it);
    }
  }
  phase_ = next_phase(phase_, msg);
  if (handler_.on_message) handler_.on_message(std::move(msg));
}

boost::system::error_code router_end_slicer::send(const wamp::message& msg) {
  const auto before = phase_;
  phase_ = next_phase(phase_, msg);
  if (!link_) return inner_->send(msg);
  const observed_message observed{direction::to_client, link_->session(), before, msg};
  auto decision = plan_->decide(observed, {}, fault_plan::rule_set::slice_only);
  std::size_t piece_bytes = 0;
  for (const auto& e : decision.link) piece_bytes = piece_bytes ? std::min(piece_bytes, e.bytes) : e.bytes;
  std::size_t pieces = 0;
  if (piece_bytes) {
    // RawSocket writes the frame (4-byte header included) in pieces; WebSocket the payload.
    std::string encoded;
    const auto& s = wamp::serializer_for(info().serializer == "msgpack" ? wamp::serializer_kind::msgpack
                                                                        : wamp::serializer_kind::json);
    if (!s.encode(msg, encoded)) {
      const auto bytes = encoded.size() + (info().transport == "rawsocket" ? 4 : 0);
      pieces = (bytes + piece_bytes - 1) / piece_bytes;
    }
  }
  // Announced before it is written: the client's end may read it before send() returns.
  link_->wrote(wamp::type_of(msg), std::move(decision.link), pieces);
  const auto ec = piece_bytes ? inner_->send_in_pieces(msg, piece_bytes) : inner_->send(msg);
  if (ec) {
    link_->not_written();
    return ec;
  }
  return {};
}

}  // namespace autobahn_sync::testing

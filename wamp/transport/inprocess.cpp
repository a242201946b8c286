#include "wamp/transport/inprocess.hpp"

#include <atomic>
#include <typeinfo>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

namespace autobahn_sync::wamp {

// What both ends share: set when one end drops the connection abruptly, so whatever it sent
// that is still on its way is discarded, as bytes in a reset socket's buffers would be.
struct inprocess_connection::shared_state {
  std::atomic<bool> aborted{false};
};

inprocess_pair make_inprocess_pair(connection::executor_type first_executor,
                                   connection::executor_type second_executor, const serializer* s,
                                   transport_options options) {
  auto shared = std::make_shared<inprocess_connection::shared_state>();
  std::shared_ptr<inprocess_connection> first(new inprocess_connection(first_executor, s, options, shared));
  std::shared_ptr<inprocess_connection> second(new inprocess_connection(second_executor, s, options, shared));
  first->peer_ = second;
  second->peer_ = first;
  first->peer_inbox_ = second->inbox_;
  second->peer_inbox_ = first->inbox_;
  return {std::move(first), std::move(second)};
}

inprocess_connection::inprocess_connection(executor_type executor, const serializer* s,
                                           transport_options options, std::shared_ptr<shared_state> shared)
    : executor_(std::move(executor)),
      serializer_(s),
      options_(options),
      shared_(std::move(shared)),
      info_{"inprocess", s ? (s->kind() == serializer_kind::msgpack ? "msgpack" : "json") : "none",
            "inprocess"},
      inbox_(std::make_shared<inbox>()) {
  inbox_->executor = executor_;
  // (Boost 1.74's target<T>() does not check the type: target_type() does.)
  if (executor_.target_type() == typeid(gated_executor)) {
    own_gate_ = executor_.target<gated_executor>()->gate();
    inbox_->receiver_gate = own_gate_;
  }
}

void inprocess_connection::stop_accepting() {
  std::lock_guard lock(inbox_->mutex);
  inbox_->accepting = false;
  inbox_->executor = executor_type();
  inbox_->receiver_gate.reset();
}

inprocess_connection::~inprocess_connection() { stop_accepting(); }

template <class F>
void inprocess_connection::post_to_peer(F&& f) {
  // What runs on the peer's side, inside its gate or on its executor: nothing once the
  // connection was aborted or the peer is gone.
  auto deliver = [weak = peer_, shared = shared_, f = std::forward<F>(f)]() mutable {
    if (shared->aborted.load(std::memory_order_acquire)) return;
    if (auto peer = weak.lock()) f(*peer);
  };
  const std::shared_ptr<inbox>& in = peer_inbox_;
  // Both owners must accept: the receiver's code then runs on this thread, and this owner's
  // thread runs it (a client still joining sends its HELLO to the router's own thread, where
  // an authenticator may take its time without holding up the client's thread).
  const bool sender_accepts = own_gate_ && own_gate_->accepts_delivery();
  std::shared_ptr<gate> g;
  {
    std::lock_guard lock(in->mutex);
    if (!in->accepting) return;
    g = in->receiver_gate;
    if (!sender_accepts || !g || !g->accepts_delivery() ||
        in->undelivered.load(std::memory_order_acquire) != 0) {
      return post_counted(std::move(deliver));
    }
  }
  auto accepting = [&in] {
    std::lock_guard lock(in->mutex);
    return in->accepting;
  };
  // The peer's gate is free: deliver here (its acceptance may have changed meanwhile).
  if (g->try_run_inline([&] {
        if (!g->accepts_delivery()) return false;
        if (accepting()) deliver();
        return true;
      })) {
    return;
  }
  // This thread holds the peer's gate further up the stack: deliver as it releases it, after
  // what was deferred before. (Deferred deliveries are not counted: the gate is never free
  // while any waits, so none can be overtaken by an inline one.)
  if (g->held_here() && g->accepts_delivery()) {
    g->defer([in, deliver = std::move(deliver)]() mutable {
      bool open;
      {
        std::lock_guard lock(in->mutex);
        open = in->accepting;
      }
      if (open) deliver();
    });
    return;
  }
  std::lock_guard lock(in->mutex);
  if (in->accepting) post_counted(std::move(deliver));
}

template <class F>
void inprocess_connection::post_counted(F&& deliver) {
  peer_inbox_->undelivered.fetch_add(1, std::memory_order_acq_rel);
  boost::asio::post(peer_inbox_->executor, [in = peer_inbox_, deliver = std::forward<F>(deliver)]() mutable {
    inbox::delivered done{*in};
    deliver();
  });
}

void inprocess_connection::start(connection_handler handler) {
  handler_ = std::move(handler);
  started_ = true;
}

boost::system::error_code inprocess_connection::send(const message& msg) {
  if (closing_) return errc::not_connected;
  if (!serializer_) {
    post_to_peer([msg = message(msg)](inprocess_connection& peer) mutable { peer.receive(std::move(msg)); });
    return {};
  }
  if (const auto ec = serializer_->encode(msg, scratch_, options_.max_message_size)) return ec;
  post_to_peer([bytes = std::string(scratch_)](inprocess_connection& peer) mutable {
    peer.receive_bytes(std::move(bytes));
  });
  return {};
}

void inprocess_connection::send_bytes(std::string bytes) {
  if (closing_) return;
  post_to_peer([bytes = std::move(bytes)](inprocess_connection& peer) mutable {
    peer.receive_bytes(std::move(bytes));
  });
}

void inprocess_connection::receive_bytes(std::string bytes) {
  if (finished_ || !serializer_) return;
  auto decoded = serializer_->decode(bytes, {options_.max_message_size, options_.max_depth, options_.max_decoded_size});
  if (decoded.ok()) {
    receive(std::move(decoded.msg));
  } else if (started_ && handler_.on_bad_message) {
    handler_.on_bad_message(decoded.error, decoded.detail);
  }
}

void inprocess_connection::receive(message&& msg) {
  // Until start() a message is delivered by a post made after start(); the peer cannot run
  // before the owner started this end in practice, but order must hold if it does.
  if (finished_) return;
  if (!started_) {
    boost::asio::post(executor_, [self = shared_from_this(), msg = std::move(msg)]() mutable {
      self->receive(std::move(msg));
    });
    return;
  }
  if (handler_.on_message) handler_.on_message(std::move(msg));
}

void inprocess_connection::close() {
  if (closing_) return;
  closing_ = true;
  stop_accepting();  // nothing is delivered after close(): the owner may tear down at once
  // Posted after every message this end sent, so the peer receives them all first.
  post_to_peer([](inprocess_connection& peer) { peer.peer_closed({}); });
  boost::asio::post(executor_, [self = shared_from_this()] { self->finish({}); });
}

void inprocess_connection::close_abruptly() {
  if (finished_) return;
  closing_ = true;
  stop_accepting();
  shared_->aborted.store(true, std::memory_order_release);
  {
    std::lock_guard lock(peer_inbox_->mutex);
    if (peer_inbox_->accepting) {
      boost::asio::post(peer_inbox_->executor, [weak = peer_] {
        if (auto peer = weak.lock()) peer->finish(boost::asio::error::connection_reset);
      });
    }
  }
  boost::asio::post(executor_, [self = shared_from_this()] {
    self->finish(boost::asio::error::operation_aborted);
  });
}

void inprocess_connection::peer_closed(const boost::system::error_code& ec) {
  closing_ = true;
  finish(ec);
}

void inprocess_connection::finish(const boost::system::error_code& ec) {
  if (finished_) return;
  finished_ = true;
  stop_accepting();
  closing_ = true;
  auto on_close = std::move(handler_.on_close);
  handler_ = {};
  if (on_close) on_close(ec);
}

}  // namespace autobahn_sync::wamp

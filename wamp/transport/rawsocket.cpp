#include "wamp/transport/rawsocket.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <deque>

#include <boost/asio/connect.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "wamp/transport/detail/admit_accepted.hpp"
#include "wamp/transport/detail/listen_endpoint.hpp"
#include "wamp/transport/detail/resolve.hpp"
#include "wamp/transport/detail/tcp_keepalive.hpp"
#include "wamp/transport/detail/tcp_peer.hpp"
#include "wamp/transport/tls.hpp"

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace autobahn_sync::wamp {
namespace {

using rawsocket::frame_type;
using rawsocket::limit_of_exponent;
using rawsocket::max_frame_length;

// The two stacks below RawSocket: plain TCP, and TLS over TCP. The code is shared through
// templates; tcp_of() reaches the TCP socket of either.
using tls_socket = asio::ssl::stream<tcp::socket>;

tcp::socket& tcp_of(tcp::socket& s) { return s; }
tcp::socket& tcp_of(tls_socket& s) { return s.next_layer(); }

template <class Stream>
constexpr bool is_tls = std::is_same_v<Stream, tls_socket>;

// The end of the peer's byte stream at a frame boundary: orderly. Over TLS, a peer that closes
// TCP without a close_notify yields stream_truncated; RawSocket frames carry their length, so
// no partial message can pass for a whole one, and it is taken as an orderly end too.
bool is_end_of_stream(const error_code& ec) {
  return ec == asio::error::eof || ec == asio::ssl::error::stream_truncated;
}

// Bytes read at a time (more when a frame is larger).
constexpr std::size_t read_chunk = 16 * 1024;

// Set while this thread delivers a received message to its owner (see push()).
thread_local int delivering_depth = 0;
struct delivering_scope {
  delivering_scope() { ++delivering_depth; }
  ~delivering_scope() { --delivering_depth; }
  delivering_scope(const delivering_scope&) = delete;
  delivering_scope& operator=(const delivering_scope&) = delete;
};

// Bytes waiting to be written; `alone`: by a write of their own, not gathered with others.
struct queued_write {
  std::string bytes;
  bool alone = false;
};

// One established RawSocket connection over `Stream` (tcp::socket or tls_socket). `tls`
// keeps the TLS context alive as long as the stream.
template <class Stream>
class rawsocket_connection final : public connection,
                                   public std::enable_shared_from_this<rawsocket_connection<Stream>> {
 public:
  rawsocket_connection(Stream socket, const serializer& s, transport_options options, std::size_t send_limit,
                       std::shared_ptr<std::size_t> open_counter, tls_context_ptr tls = nullptr)
      : tls_(std::move(tls)),
        socket_(std::move(socket)),
        executor_(socket_.get_executor()),
        serializer_(s),
        options_(options),
        send_limit_(std::min(send_limit, max_frame_length)),
        // What we announced (a power of two, at least 512), and never more than our own limit.
        receive_limit_(std::min({options.max_message_size, limit_of_exponent(rawsocket_length_exponent(options.max_message_size)),
                                 max_frame_length})),
        open_counter_(std::move(open_counter)),
        info_{"rawsocket", s.kind() == serializer_kind::msgpack ? "msgpack" : "json",
              detail::tcp_peer_name(tcp_of(socket_))} {
    detail::apply_tcp_keepalive(tcp_of(socket_), options_);
  }

  executor_type get_executor() const override { return executor_; }
  const connection_info& info() const noexcept override { return info_; }

  void start(connection_handler handler) override {
    handler_ = std::move(handler);
    read_more();
  }

  error_code send(const message& msg) override {
    if (closing_) return errc::not_connected;
    if (const auto ec = serializer_.encode(msg, scratch_, send_limit_)) return ec;
    enqueue(frame_type::message, scratch_);
    return check_queue_limit();
  }

  error_code send_in_pieces(const message& msg, std::size_t piece_bytes) override {
    if (closing_) return errc::not_connected;
    if (const auto ec = serializer_.encode(msg, scratch_, send_limit_)) return ec;
    const std::string frame = make_frame(frame_type::message, scratch_);
    const std::size_t step = std::max<std::size_t>(piece_bytes, 1);
    for (std::size_t at = 0; at < frame.size(); at += step) enqueue_alone(frame.substr(at, step));
    return check_queue_limit();
  }

  void send_cut_short(const message& msg, std::size_t bytes) override {
    if (closing_) return;
    if (serializer_.encode(msg, scratch_, send_limit_)) return close_abruptly();
    // The header announces the whole length; the payload stops early, then the TCP stream ends.
    std::string frame = make_frame(frame_type::message, scratch_);
    frame.resize(4 + std::min(bytes, scratch_.size()));
    enqueue_alone(std::move(frame));
    close();
  }

  void close() override {
    if (closing_) return;
    closing_ = true;
    if (!writing_) shutdown();
  }

  void close_abruptly() override {
    if (finished_) return;
    closing_ = true;
    abrupt_ = true;
    error_code ignored;
    tcp_of(socket_).close(ignored);
    // Pending operations end with operation_aborted and finish; without one, finish here.
    if (!reading_ && !writing_) post_finish(asio::error::operation_aborted);
  }

 private:
  using std::enable_shared_from_this<rawsocket_connection<Stream>>::shared_from_this;

  static std::string make_frame(frame_type type, std::string_view payload) {
    const auto header = rawsocket::frame_header(type, payload.size());
    std::string frame;
    frame.reserve(4 + payload.size());
    frame.append(reinterpret_cast<const char*>(header.data()), 4);
    frame.append(payload);
    return frame;
  }

  void enqueue(frame_type type, std::string_view payload) { push({make_frame(type, payload), false}); }
  // Bytes written by a write of their own (send_in_pieces, send_cut_short).
  void enqueue_alone(std::string bytes) { push({std::move(bytes), true}); }

  void push(queued_write w) {
    if (!writing_ && queue_.empty() && !w.alone && delivering_depth == 0 && write_directly(w.bytes)) return;
    queued_bytes_ += w.bytes.size();
    queue_.push_back(std::move(w));
    if (!writing_) write_queued();
  }

  // With nothing in flight, plain TCP writes at once without blocking: an async_write would
  // finish by a completion posted to the I/O thread, which wakes it when the sender is
  // another thread (a client's caller sending its own CALL). Not while a message is being
  // delivered (a router forwarding it): what that sends is gathered into one write. True when all of `bytes` went
  // out; otherwise removes what did from `bytes` and leaves the rest to async_write (which
  // also reports an error, if that is why the write stopped).
  bool write_directly(std::string& bytes) {
    if constexpr (is_tls<Stream>) {
      return false;
    } else {
      error_code ec;
      if (!socket_.non_blocking()) socket_.non_blocking(true, ec);
      if (ec) return false;
      const std::size_t n = socket_.write_some(asio::buffer(bytes), ec);
      if (!ec && n == bytes.size()) return true;
      bytes.erase(0, n);
      return false;
    }
  }

  error_code check_queue_limit() {
    if (queued_bytes_ <= options_.max_send_queue_bytes) return {};
    close_abruptly();
    return errc::send_queue_full;
  }

  // Writes what is queued in one gathered write, up to the next entry that must be written
  // alone (which is then written by itself).
  void write_queued() {
    writing_ = true;
    buffers_.clear();
    for (const auto& w : queue_) {
      if (w.alone && !buffers_.empty()) break;
      buffers_.emplace_back(asio::buffer(w.bytes));
      if (w.alone) break;
    }
    in_flight_ = buffers_.size();
    asio::async_write(socket_, buffers_, [self = shared_from_this()](const error_code& ec, std::size_t) {
      self->writing_ = false;
      for (std::size_t i = 0; i < self->in_flight_; ++i) {
        self->queued_bytes_ -= self->queue_.front().bytes.size();
        self->queue_.pop_front();
      }
      if (ec) return self->fail(ec);
      if (!self->queue_.empty() && !self->abrupt_) return self->write_queued();
      if (self->closing_) self->shutdown();
    });
  }

  // Over TLS no close_notify is sent: SSL_shutdown would have to read while the read loop
  // does (see is_end_of_stream for how the peer takes that).
  void shutdown() {
    error_code ignored;
    tcp_of(socket_).shutdown(tcp::socket::shutdown_both, ignored);
    tcp_of(socket_).close(ignored);
    if (!reading_) post_finish({});
  }

  // Reads whatever the peer sent, up to the free room in `in_` (at least read_chunk, or more
  // of a larger frame, see receive_room): one read usually brings a whole frame, under load
  // several.
  void read_more() {
    if (begin_ == end_ && in_.size() > 4 * read_chunk) {
      in_.clear();  // a large frame passed: do not keep its room
      in_.shrink_to_fit();
      begin_ = end_ = 0;
    }
    if (begin_ > 0) {  // only a partial frame is left: move it to the front
      std::memmove(in_.data(), in_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    in_.resize(rawsocket::receive_room(end_, wanted_, read_chunk));
    reading_ = true;
    socket_.async_read_some(asio::buffer(in_.data() + end_, in_.size() - end_),
                            [self = shared_from_this()](error_code ec, std::size_t n) {
                              self->reading_ = false;
                              self->end_ += n;
                              // Closed abruptly by its owner: what was read before the close
                              // (the reactor reads as soon as bytes arrive) is not delivered.
                              if (!ec && self->abrupt_) ec = asio::error::operation_aborted;
                              if (ec) {
                                // Between frames, the peer's close is orderly; inside one it is not.
                                return self->fail(is_end_of_stream(ec) && self->begin_ == self->end_ ? error_code() : ec);
                              }
                              self->on_bytes();
                            });
  }

  // Delivers every whole frame read, then reads on.
  void on_bytes() {
    while (!finished_ && !abrupt_ && end_ - begin_ >= 4) {
      rawsocket::octets octets;
      std::memcpy(octets.data(), in_.data() + begin_, 4);
      const auto header = rawsocket::parse_frame_header(octets, receive_limit_);
      if (header.error == errc::message_too_large) return refuse_oversize(header.length);
      if (header.error) return fail(header.error);
      if (end_ - begin_ - 4 < header.length) {
        wanted_ = 4 + header.length;
        break;
      }
      const std::string_view payload(in_.data() + begin_ + 4, header.length);
      begin_ += 4 + header.length;
      wanted_ = 0;
      on_frame(header.type, payload);
      if (finished_ || (closing_ && !tcp_of(socket_).is_open())) return;
    }
    if (finished_) return;
    read_more();
  }

  void on_frame(frame_type type, std::string_view payload) {
    if (type == frame_type::message) {
      auto decoded = serializer_.decode(payload, {receive_limit_, options_.max_depth, options_.max_decoded_size});
      if (decoded.ok()) {
        if (handler_.on_message) {
          delivering_scope scope;
          handler_.on_message(std::move(decoded.msg));
        }
      } else if (handler_.on_bad_message) {
        handler_.on_bad_message(decoded.error, decoded.detail);
      }
    } else if (type == frame_type::ping && !closing_) {
      enqueue(frame_type::pong, payload);
      // Pongs count against the send queue's limit as messages do: a peer that pings and
      // never reads must not make the queue grow without bound.
      if (queued_bytes_ > options_.max_send_queue_bytes) {
        first_error_ = make_error_code(errc::send_queue_full);
        close_abruptly();
      }
    }
  }

  // The owner hears of it first (a router answers with ABORT), then the connection closes after
  // flushing that answer: the stream cannot go on without reading the whole oversized payload.
  void refuse_oversize(std::size_t length) {
    if (handler_.on_bad_message) {
      handler_.on_bad_message(errc::message_too_large, "a frame of " + std::to_string(length) +
                                                           " bytes is over the limit of " +
                                                           std::to_string(receive_limit_) + " bytes");
    }
    if (finished_) return;
    if (!first_error_) first_error_ = make_error_code(errc::message_too_large);
    closing_ = true;
    if (!writing_) shutdown();
  }

  void fail(error_code ec) {
    // Our own close(): whatever the socket reports now, the close was orderly.
    if (closing_ && !abrupt_ && (ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor)) ec = {};
    if (!finished_) {
      closing_ = true;
      error_code ignored;
      tcp_of(socket_).close(ignored);
    }
    if (!writing_ && !reading_) finish(ec);
    else if (!first_error_) first_error_ = ec;
  }

  void post_finish(error_code ec) {
    asio::post(executor_, [self = shared_from_this(), ec] { self->finish(ec); });
  }

  void finish(error_code ec) {
    if (finished_) return;
    finished_ = true;
    closing_ = true;
    // What went wrong first, rather than the abort of the operations it cut short.
    if (first_error_ && (!ec || ec == asio::error::operation_aborted)) ec = *first_error_;
    if (open_counter_) --*open_counter_;
    auto on_close = std::move(handler_.on_close);
    handler_ = {};
    if (on_close) on_close(ec);
  }

  tls_context_ptr tls_;  // declared first: destroyed after the stream
  Stream socket_;
  executor_type executor_;
  const serializer& serializer_;
  transport_options options_;
  std::size_t send_limit_;
  std::size_t receive_limit_;
  std::shared_ptr<std::size_t> open_counter_;
  connection_info info_;
  connection_handler handler_;
  std::vector<char> in_;      // bytes read: [begin_, end_) not yet delivered
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::size_t wanted_ = 0;    // room the partial frame at begin_ needs in all (0: unknown)
  std::string scratch_;
  std::deque<queued_write> queue_;
  std::vector<asio::const_buffer> buffers_;
  std::size_t in_flight_ = 0;
  std::size_t queued_bytes_ = 0;
  bool reading_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool abrupt_ = false;
  bool finished_ = false;
  std::optional<error_code> first_error_;
};

// The state of one handshake in progress (either side), TLS handshake included.
template <class Stream>
struct handshake_state {
  explicit handshake_state(Stream s, tls_context_ptr tls = nullptr)
      : tls(std::move(tls)), socket(std::move(s)), timer(socket.get_executor()) {}
  tls_context_ptr tls;
  Stream socket;
  asio::steady_timer timer;
  rawsocket::octets in{};
  rawsocket::octets out{};
  bool timed_out = false;
  std::shared_ptr<void> counted;  // a listener's count of handshakes in progress
};

// `on_timeout` (may be empty) is told when the deadline passes with the handshake unfinished.
template <class Stream>
void arm_timeout(const std::shared_ptr<handshake_state<Stream>>& st, std::chrono::milliseconds timeout,
                 std::function<void()> on_timeout = {}) {
  st->timer.expires_after(timeout);
  st->timer.async_wait([weak = std::weak_ptr<handshake_state<Stream>>(st), on_timeout](const error_code& ec) {
    if (ec) return;
    if (auto s = weak.lock()) {
      s->timed_out = true;
      error_code ignored;
      tcp_of(s->socket).close(ignored);
      if (on_timeout) on_timeout();
    }
  });
}

}  // namespace

// ---- listener ---------------------------------------------------------------------------------

std::shared_ptr<rawsocket_listener> rawsocket_listener::create(connection::executor_type executor,
                                                               const std::string& host, unsigned short port,
                                                               rawsocket_listener_options options) {
  const tcp::endpoint endpoint = detail::listen_endpoint(executor, host, port);
  // The certificate is checked before binding, so a bad one fails here with its reason.
  tls_context_ptr tls = options.tls ? make_tls_server_context(*options.tls) : nullptr;
  auto l = std::shared_ptr<rawsocket_listener>(new rawsocket_listener(std::move(executor), endpoint, std::move(options)));
  l->tls_ = std::move(tls);
  return l;
}

rawsocket_listener::rawsocket_listener(connection::executor_type executor, tcp::endpoint endpoint,
                                       rawsocket_listener_options options)
    : executor_(executor),
      acceptor_(executor, endpoint),
      backoff_(std::make_unique<detail::accept_backoff>(executor)),
      options_(std::move(options)) {}

unsigned short rawsocket_listener::port() const { return acceptor_.local_endpoint().port(); }

void rawsocket_listener::start(accept_handler on_accept) {
  on_accept_ = std::move(on_accept);
  asio::dispatch(executor_, [self = shared_from_this()] { self->accept_next(); });
}

void rawsocket_listener::close() {
  asio::dispatch(executor_, [self = shared_from_this()] {
    error_code ignored;
    self->acceptor_.close(ignored);
    self->backoff_->cancel();
  });
}

void rawsocket_listener::accept_next() {
  acceptor_.async_accept(executor_, [self = shared_from_this()](const error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) return;
    const auto admitted =
        detail::admit_accepted(ec, socket, *self->backoff_, *self, self->options_, [self] { self->accept_next(); });
    if (admitted == detail::admission::paused) return;
    if (admitted == detail::admission::serve) self->handshake(std::move(socket));
    self->accept_next();
  });
}

void rawsocket_listener::handshake(tcp::socket socket) {
  error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  std::function<void()> on_timeout;
  if (options_.on_handshake_timeout) {
    on_timeout = [report = options_.on_handshake_timeout, peer = detail::tcp_peer_name(socket)] { report(peer); };
  }
  if (!tls_) {
    auto st = std::make_shared<handshake_state<tcp::socket>>(std::move(socket));
    st->counted = count_handshake();
    arm_timeout(st, options_.transport.handshake_timeout, std::move(on_timeout));
    return exchange_octets(st);
  }
  // One deadline covers the TLS handshake and the octets.
  auto st = std::make_shared<handshake_state<tls_socket>>(tls_socket(std::move(socket), *tls_), tls_);
  st->counted = count_handshake();
  arm_timeout(st, options_.transport.handshake_timeout, std::move(on_timeout));
  st->socket.async_handshake(asio::ssl::stream_base::server, [self = shared_from_this(), st](const error_code& ec) {
    if (ec) return;  // a plain client, an unhappy one, or too slow: nothing to answer
    self->exchange_octets(st);
  });
}

template <class State>
void rawsocket_listener::exchange_octets(std::shared_ptr<State> st) {
  using stream_type = decltype(st->socket);
  asio::async_read(st->socket, asio::buffer(st->in), [self = shared_from_this(), st](const error_code& ec, std::size_t) {
    if (ec) return;  // the client left or timed out: nothing to answer
    rawsocket::acceptor_policy policy;
    policy.serializers = self->options_.serializers;
    policy.min_client_message_size = self->options_.min_client_message_size;
    policy.max_connections = self->options_.max_connections;
    policy.open_connections = *self->open_;
    policy.max_message_size = self->options_.transport.max_message_size;
    const auto answer = rawsocket::answer_client(st->in, policy);
    if (!answer.is_rawsocket) {
      error_code ignored;
      tcp_of(st->socket).close(ignored);  // not a RawSocket client
      return;
    }
    st->out = answer.reply;
    int refusal = answer.refusal;
    if (!refusal && self->options_.refuse_handshake) {
      // The testing framework's handshake faults: an error reply the policy did not call for.
      const int forced = self->options_.refuse_handshake();
      if (forced >= 1 && forced <= 4) {
        refusal = forced;
        st->out = {rawsocket::magic, static_cast<unsigned char>(forced << 4), 0, 0};
      }
    }
    const serializer* chosen = answer.chosen;
    const std::size_t send_limit = answer.send_limit;
    if (!refusal) ++*self->open_;  // counted from now, so concurrent handshakes see it
    asio::async_write(st->socket, asio::buffer(st->out), [self, st, refusal, chosen, send_limit](const error_code& ec, std::size_t) {
      st->timer.cancel();
      if (refusal || ec) {
        if (!refusal) --*self->open_;
        error_code ignored;
        tcp_of(st->socket).shutdown(tcp::socket::shutdown_both, ignored);
        tcp_of(st->socket).close(ignored);
        return;
      }
      auto conn = std::make_shared<rawsocket_connection<stream_type>>(
          std::move(st->socket), *chosen, self->options_.transport, send_limit, self->open_, st->tls);
      if (self->on_accept_) self->on_accept_(std::move(conn));
    });
  });
}

// ---- client ---------------------------------------------------------------------------------

namespace {

// The RawSocket octets of a client whose stream is connected (and TLS-handshaken).
template <class Stream>
void client_exchange_octets(std::shared_ptr<handshake_state<Stream>> st, serializer_kind kind,
                            transport_options options, connect_handler done) {
  st->out = rawsocket::client_hello(kind, options.max_message_size);
  asio::async_write(st->socket, asio::buffer(st->out), [st, kind, options, done](const error_code& ec, std::size_t) {
    if (ec) {
      st->timer.cancel();
      return done(st->timed_out ? make_error_code(errc::handshake_timeout) : ec, nullptr);
    }
    asio::async_read(st->socket, asio::buffer(st->in), [st, kind, options, done](const error_code& ec, std::size_t) {
      st->timer.cancel();
      if (ec) {
        return done(st->timed_out ? make_error_code(errc::handshake_timeout)
                                  : make_error_code(errc::handshake_failed),
                    nullptr);
      }
      const auto outcome = rawsocket::check_reply(st->in, kind);
      if (outcome.error) return done(outcome.error, nullptr);
      auto conn = std::make_shared<rawsocket_connection<Stream>>(std::move(st->socket), serializer_for(kind), options,
                                                                 outcome.send_limit, nullptr, st->tls);
      done({}, std::move(conn));
    });
  });
}

// Resolve, TCP connect, TLS handshake (tls_socket only: checked as `tls_config` says), octets.
// `make_state` makes the handshake state once the host is resolved.
template <class Stream, class MakeState>
void client_connect(connection::executor_type executor, const std::string& host, unsigned short port,
                    serializer_kind kind, transport_options options, tls_client_config tls_config,
                    MakeState make_state, connect_handler done) {
  auto resolver = std::make_shared<tcp::resolver>(executor);
  detail::resolve_endpoints(*resolver, host, port, [resolver, host, kind, options, tls_config, make_state, done](
                                                       const error_code& ec, tcp::resolver::results_type results) {
    if (ec) return done(ec, nullptr);
    std::shared_ptr<handshake_state<Stream>> st = make_state();
    arm_timeout(st, options.handshake_timeout);
    asio::async_connect(tcp_of(st->socket), results, [st, host, kind, options, tls_config, done](
                                                        const error_code& ec, const tcp::endpoint&) {
      if (ec) {
        st->timer.cancel();
        return done(st->timed_out ? make_error_code(errc::handshake_timeout) : ec, nullptr);
      }
      error_code ignored;
      tcp_of(st->socket).set_option(tcp::no_delay(true), ignored);
      if constexpr (is_tls<Stream>) {
        if (const auto bad_name = prepare_tls_client(st->socket.native_handle(), tls_config, host)) {
          st->timer.cancel();
          return done(bad_name, nullptr);
        }
        st->socket.async_handshake(asio::ssl::stream_base::client, [st, kind, options, done](const error_code& ec) {
          if (ec) {
            st->timer.cancel();
            return done(st->timed_out ? make_error_code(errc::handshake_timeout)
                                      : tls_client_handshake_error(st->socket.native_handle(), ec),
                        nullptr);
          }
          client_exchange_octets(st, kind, options, done);
        });
      } else {
        client_exchange_octets(st, kind, options, done);
      }
    });
  });
}

}  // namespace

void async_rawsocket_connect(connection::executor_type executor, const std::string& host, unsigned short port,
                             serializer_kind kind, transport_options options, connect_handler done) {
  client_connect<tcp::socket>(
      executor, host, port, kind, options, {},
      [executor] { return std::make_shared<handshake_state<tcp::socket>>(tcp::socket(executor)); }, std::move(done));
}

void async_rawsocket_connect(connection::executor_type executor, const std::string& host, unsigned short port,
                             serializer_kind kind, transport_options options, const tls_client_config& tls,
                             connect_handler done) {
  auto context = make_tls_client_context_or_report(tls, executor, done);
  if (!context) return;
  client_connect<tls_socket>(
      executor, host, port, kind, options, tls,
      [executor, context] {
        return std::make_shared<handshake_state<tls_socket>>(tls_socket(tcp::socket(executor), *context), context);
      },
      std::move(done));
}

}  // namespace autobahn_sync::wamp

#include "wamp/transport/websocket.hpp"

#include <deque>
#include <optional>
#include <type_traits>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "wamp/transport/detail/admit_accepted.hpp"
#include "wamp/transport/detail/eager_write_stream.hpp"
#include "wamp/transport/detail/listen_endpoint.hpp"
#include "wamp/transport/detail/resolve.hpp"
#include "wamp/transport/detail/tcp_keepalive.hpp"
#include "wamp/transport/detail/tcp_peer.hpp"
#include "wamp/transport/tls.hpp"
#include "wamp/transport/websocket_upgrade.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::ip::tcp;
using boost::system::error_code;

namespace autobahn_sync::wamp {
namespace {

// The two stacks below a WebSocket: plain TCP, and TLS over TCP. The code is shared through
// templates; `if constexpr (is_tls<...>)` marks the few steps only TLS has. A plain WebSocket
// writes through detail::eager_write_stream (a write from another thread does not wake the
// I/O thread); over TLS writes stay asynchronous, as RawSocket's do.
using tls_stream = beast::ssl_stream<beast::tcp_stream>;
using plain_ws = websocket::stream<detail::eager_write_stream>;
using tls_ws = websocket::stream<tls_stream>;

template <class Stream>
constexpr bool is_tls = std::is_same_v<Stream, tls_stream> || std::is_same_v<Stream, tls_ws>;


websocket::stream_base::timeout timeouts(const transport_options& options, beast::role_type role) {
  auto t = websocket::stream_base::timeout::suggested(role);
  t.handshake_timeout = options.handshake_timeout;
  return t;
}

// The receive buffer's room kept after a message: a larger message's room is given back.
constexpr std::size_t large_message_room = 64 * 1024;

// Bytes a client masks and writes at a time.
constexpr std::size_t client_write_buffer_bytes = 64 * 1024;

// Bytes waiting to be written: a whole message, or one frame of a fragmented one.
struct queued_write {
  enum class piece { whole, fragment, last_fragment };
  std::string bytes;
  piece what = piece::whole;
  bool drop_after = false;  // send_cut_short: drop the transport once written
};

// The category of close codes the peer's close frame carried (websocket_close_category()).
class close_code_category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "websocket.close"; }
  std::string message(int code) const override {
    std::string text = "closed by the peer with WebSocket close code " + std::to_string(code);
    switch (code) {
      case 1001: return text + " (going away)";
      case 1002: return text + " (protocol error)";
      case 1003: return text + " (unsupported data)";
      case 1007: return text + " (invalid payload data)";
      case 1008: return text + " (policy violation)";
      case 1009: return text + " (message too big)";
      case 1010: return text + " (mandatory extension)";
      case 1011: return text + " (internal error)";
      case 1012: return text + " (service restart)";
      case 1013: return text + " (try again later)";
      default: return text;
    }
  }
};

// One established WebSocket connection. `tls` keeps the TLS context alive as long as the stream.
template <class ws_stream>
class websocket_connection final : public connection,
                                   public std::enable_shared_from_this<websocket_connection<ws_stream>> {
 public:
  websocket_connection(ws_stream ws, const serializer& s, transport_options options, std::string peer,
                       std::string endpoint, tls_context_ptr tls = nullptr)
      : tls_(std::move(tls)),
        ws_(std::move(ws)),
        executor_(ws_.get_executor()),
        serializer_(s),
        options_(options),
        info_{"websocket", s.kind() == serializer_kind::msgpack ? "msgpack" : "json", std::move(peer),
              std::move(endpoint)} {
    ws_.binary(s.is_binary());
    ws_.read_message_max(options.max_message_size);
    detail::apply_tcp_keepalive(beast::get_lowest_layer(ws_).socket(), options_);
  }

  executor_type get_executor() const override { return executor_; }
  const connection_info& info() const noexcept override { return info_; }

  void start(connection_handler handler) override {
    handler_ = std::move(handler);
    read_next();
  }

  error_code send(const message& msg) override {
    if (closing_) return errc::not_connected;
    std::string bytes;
    if (const auto ec = serializer_.encode(msg, bytes, options_.max_message_size)) return ec;
    push({std::move(bytes)});
    return check_queue_limit();
  }

  error_code send_in_pieces(const message& msg, std::size_t piece_bytes) override {
    if (closing_) return errc::not_connected;
    std::string bytes;
    if (const auto ec = serializer_.encode(msg, bytes, options_.max_message_size)) return ec;
    const std::size_t step = std::max<std::size_t>(piece_bytes, 1);
    for (std::size_t at = 0; at < bytes.size(); at += step) {
      const bool last = at + step >= bytes.size();
      push({bytes.substr(at, step), last ? queued_write::piece::last_fragment : queued_write::piece::fragment});
    }
    return check_queue_limit();
  }

  void send_cut_short(const message& msg, std::size_t bytes) override {
    if (closing_) return;
    std::string encoded;
    if (serializer_.encode(msg, encoded, options_.max_message_size) || bytes == 0) return close_abruptly();
    // An unfinished first fragment: the peer holds an incomplete message when the TCP stream
    // ends (unless all of it fits: then it is whole).
    const auto what = bytes >= encoded.size() ? queued_write::piece::whole : queued_write::piece::fragment;
    encoded.resize(std::min(bytes, encoded.size()));
    push({std::move(encoded), what, true});
    closing_ = true;
  }

  void close() override {
    if (closing_) return;
    closing_ = true;
    if (!writing_) close_handshake();
  }

  void close_with_code(std::uint16_t code, const std::string& reason) override {
    close_reason_ = websocket::close_reason(static_cast<websocket::close_code>(code), reason);
    close();
  }

  void close_abruptly() override {
    if (finished_) return;
    closing_ = true;
    abrupt_ = true;
    error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
    if (!reading_ && !writing_) post_finish(asio::error::operation_aborted);
  }

 private:
  using std::enable_shared_from_this<websocket_connection<ws_stream>>::shared_from_this;

  void read_next() {
    reading_ = true;
    ws_.async_read(buffer_, [self = shared_from_this()](error_code ec, std::size_t) {
      self->reading_ = false;
      // Closed abruptly by its owner: a message read before the close is not delivered.
      if (!ec && self->abrupt_) ec = asio::error::operation_aborted;
      if (ec) return self->on_read_error(ec);
      const auto data = self->buffer_.cdata();
      const std::string_view bytes(static_cast<const char*>(data.data()), data.size());
      auto decoded = self->serializer_.decode(
          bytes, {self->options_.max_message_size, self->options_.max_depth, self->options_.max_decoded_size});
      self->buffer_.consume(self->buffer_.size());
      if (self->buffer_.capacity() > large_message_room) self->buffer_.shrink_to_fit();  // a large one passed
      if (self->finished_) return;
      if (decoded.ok()) {
        if (self->handler_.on_message) self->handler_.on_message(std::move(decoded.msg));
      } else if (self->handler_.on_bad_message) {
        self->handler_.on_bad_message(decoded.error, decoded.detail);
      }
      if (!self->finished_ && !self->abrupt_) self->read_next();
    });
  }

  void on_read_error(error_code ec) {
    if (ec == websocket::error::closed) {
      ec = peer_close_error();  // the peer's close handshake: orderly, unless its code says otherwise
    } else if (ec == websocket::error::message_too_big) {
      ec = errc::message_too_large;
      error_code ignored;
      beast::get_lowest_layer(ws_).socket().close(ignored);
    } else if (closing_ && !abrupt_ && (ec == asio::error::operation_aborted || ec == beast::error::timeout)) {
      ec = peer_close_error();
    }
    closing_ = true;
    if (!writing_ && !closing_handshake_) finish(ec);
    else if (!first_error_) first_error_ = ec;
  }

  void push(queued_write w) {
    queued_bytes_ += w.bytes.size();
    queue_.push_back(std::move(w));
    if (!writing_) write_next();
  }

  error_code check_queue_limit() {
    if (queued_bytes_ <= options_.max_send_queue_bytes) return {};
    close_abruptly();
    return errc::send_queue_full;
  }

  void write_next() {
    writing_ = true;
    const auto& next = queue_.front();
    auto on_written = [self = shared_from_this()](const error_code& ec, std::size_t) {
      self->writing_ = false;
      const bool drop_after = self->queue_.front().drop_after;
      self->queued_bytes_ -= self->queue_.front().bytes.size();
      self->queue_.pop_front();
      if (drop_after && !ec) {
        self->queue_.clear();
        self->queued_bytes_ = 0;
        return self->close_abruptly();
      }
      if (ec) {
        self->closing_ = true;
        error_code ignored;
        beast::get_lowest_layer(self->ws_).socket().close(ignored);
        if (!self->reading_) return self->finish(ec);
        if (!self->first_error_) self->first_error_ = ec;
        return;
      }
      if (!self->queue_.empty() && !self->abrupt_) return self->write_next();
      if (self->closing_ && !self->abrupt_) self->close_handshake();
      else if (self->finished_pending()) self->finish({});
    };
    start_write([&] {
      if (next.what == queued_write::piece::whole) {
        ws_.async_write(asio::buffer(next.bytes), std::move(on_written));
      } else {
        // One frame of a fragmented message (Beast sends the first with the message's opcode,
        // the others as continuations).
        ws_.async_write_some(next.what == queued_write::piece::last_fragment, asio::buffer(next.bytes),
                             std::move(on_written));
      }
    });
  }

  // Starts the write of a queued message. Over plain TCP it may complete before this returns
  // (detail::eager_write_stream); over TLS it completes on the I/O thread.
  template <class Start>
  void start_write(Start&& start) {
    if constexpr (is_tls<ws_stream>) {
      start();
    } else {
      ws_.next_layer().eagerly(std::forward<Start>(start));
    }
  }

  bool finished_pending() const { return closing_ && !reading_ && !writing_ && !finished_; }

  void close_handshake() {
    if (closing_handshake_ || finished_) return;
    closing_handshake_ = true;
    ws_.async_close(close_reason_, [self = shared_from_this()](const error_code& ec) {
      self->closing_handshake_ = false;
      // The read loop ends with `closed` once the peer answers; if it ended already, finish.
      if (ec) {
        error_code ignored;
        beast::get_lowest_layer(self->ws_).socket().close(ignored);
      }
      if (!self->reading_) {
        const auto ec = self->first_error_.value_or(error_code());
        self->finish(ec ? ec : self->peer_close_error());
      }
    });
  }

  // What the peer's close frame (if one came; Beast keeps it in reason()) says: nothing for
  // a normal close, else a websocket_close_category() error of its code.
  error_code peer_close_error() const {
    const auto code = ws_.reason().code;
    if (code == websocket::close_code::normal || code == websocket::close_code::none) return {};
    return error_code(code, websocket_close_category());
  }

  void post_finish(error_code ec) {
    asio::post(executor_, [self = shared_from_this(), ec] { self->finish(ec); });
  }

  void finish(error_code ec) {
    if (finished_) return;
    finished_ = true;
    closing_ = true;
    if (first_error_ && !ec) ec = *first_error_;
    auto on_close = std::move(handler_.on_close);
    handler_ = {};
    if (on_close) on_close(ec);
  }

  tls_context_ptr tls_;  // declared first: destroyed after the stream
  ws_stream ws_;
  executor_type executor_;
  const serializer& serializer_;
  transport_options options_;
  connection_info info_;
  connection_handler handler_;
  beast::flat_buffer buffer_;
  std::deque<queued_write> queue_;
  std::size_t queued_bytes_ = 0;
  websocket::close_reason close_reason_{websocket::close_code::normal};
  bool reading_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool closing_handshake_ = false;
  bool abrupt_ = false;
  bool finished_ = false;
  std::optional<error_code> first_error_;
};

// One server-side upgrade in progress, over `Stream` (beast::tcp_stream or tls_stream).
template <class Stream>
struct server_handshake : std::enable_shared_from_this<server_handshake<Stream>> {
  using ws_stream = std::conditional_t<is_tls<Stream>, tls_ws, plain_ws>;
  using std::enable_shared_from_this<server_handshake<Stream>>::shared_from_this;

  server_handshake(Stream stream, std::string peer, const websocket_listener_options& options,
                   accept_handler on_accept, tls_context_ptr tls)
      : peer(std::move(peer)), stream(std::move(stream)), options(options), on_accept(std::move(on_accept)),
        tls(std::move(tls)) {}

  std::string peer;
  Stream stream;
  const websocket_listener_options& options;
  accept_handler on_accept;
  tls_context_ptr tls;
  std::shared_ptr<void> counted;  // the listener's count of handshakes in progress
  beast::flat_buffer buffer;
  http::request<http::string_body> request;
  http::response<http::string_body> refusal;
  std::string endpoint;

  // One deadline covers the TLS handshake (if any) and the HTTP upgrade request.
  void run() {
    beast::get_lowest_layer(stream).expires_after(options.transport.handshake_timeout);
    if constexpr (is_tls<Stream>) {
      // A failed TLS handshake (a plain client, an untrusted certificate) leaves nothing to answer.
      stream.async_handshake(asio::ssl::stream_base::server, [self = shared_from_this()](const error_code& ec) {
        if (ec == beast::error::timeout) return self->report_timeout();
        if (!ec) self->read_request();
      });
    } else {
      read_request();
    }
  }

  void read_request() {
    http::async_read(stream, buffer, request, [self = shared_from_this()](const error_code& ec, std::size_t) {
      if (ec == beast::error::timeout) return self->report_timeout();
      if (ec) return;  // not HTTP, or gone
      self->on_request();
    });
  }

  // The deadline passed: Beast closed the socket; the listener's owner hears of it.
  void report_timeout() {
    if (options.on_handshake_timeout) options.on_handshake_timeout(peer);
  }

  void refuse(http::status status, std::string body) {
    refusal = http::response<http::string_body>(status, request.version());
    refusal.set(http::field::server, "autobahn-sync-router");
    refusal.set(http::field::content_type, "text/plain");
    refusal.keep_alive(false);
    refusal.body() = std::move(body);
    refusal.prepare_payload();
    http::async_write(stream, refusal, [self = shared_from_this()](const error_code&, std::size_t) {
      error_code ignored;
      auto& tcp_layer = beast::get_lowest_layer(self->stream);
      tcp_layer.socket().shutdown(tcp::socket::shutdown_both, ignored);
      tcp_layer.close();
    });
  }

  void on_request() {
    auto decision = check_websocket_upgrade(request, options.paths, options.serializers);
    if (decision.status != http::status::ok) return refuse(decision.status, std::move(decision.refusal_body));
    endpoint = std::move(decision.endpoint);
    const serializer* chosen = decision.chosen;
    beast::get_lowest_layer(stream).expires_never();
    auto ws = std::make_shared<ws_stream>(std::move(stream));
    ws->set_option(timeouts(options.transport, beast::role_type::server));
    ws->set_option(websocket::stream_base::decorator([chosen](websocket::response_type& res) {
      res.set(http::field::server, "autobahn-sync-router");
      res.set(http::field::sec_websocket_protocol, std::string(chosen->subprotocol()));
    }));
    ws->async_accept(request, [self = shared_from_this(), ws, chosen](const error_code& ec) {
      if (ec == beast::error::timeout) return self->report_timeout();
      if (ec) return;
      auto conn = std::make_shared<websocket_connection<ws_stream>>(std::move(*ws), *chosen, self->options.transport,
                                                                    self->peer, self->endpoint, self->tls);
      if (self->on_accept) self->on_accept(std::move(conn));
    });
  }
};

}  // namespace

const boost::system::error_category& websocket_close_category() noexcept {
  static const close_code_category category;
  return category;
}

// ---- listener ---------------------------------------------------------------------------------

std::shared_ptr<websocket_listener> websocket_listener::create(connection::executor_type executor,
                                                               const std::string& host, unsigned short port,
                                                               websocket_listener_options options) {
  const tcp::endpoint endpoint = detail::listen_endpoint(executor, host, port);
  // The certificate is checked before binding, so a bad one fails here with its reason.
  tls_context_ptr tls = options.tls ? make_tls_server_context(*options.tls) : nullptr;
  auto l = std::shared_ptr<websocket_listener>(new websocket_listener(std::move(executor), endpoint, std::move(options)));
  l->tls_ = std::move(tls);
  return l;
}

websocket_listener::websocket_listener(connection::executor_type executor, tcp::endpoint endpoint,
                                       websocket_listener_options options)
    : executor_(executor),
      acceptor_(executor, endpoint),
      backoff_(std::make_unique<detail::accept_backoff>(executor)),
      options_(std::move(options)) {}

unsigned short websocket_listener::port() const { return acceptor_.local_endpoint().port(); }

void websocket_listener::start(accept_handler on_accept) {
  on_accept_ = std::move(on_accept);
  asio::dispatch(executor_, [self = shared_from_this()] { self->accept_next(); });
}

void websocket_listener::close() {
  asio::dispatch(executor_, [self = shared_from_this()] {
    error_code ignored;
    self->acceptor_.close(ignored);
    self->backoff_->cancel();
  });
}

void websocket_listener::accept_next() {
  acceptor_.async_accept(executor_, [self = shared_from_this()](const error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) return;
    const auto admitted =
        detail::admit_accepted(ec, socket, *self->backoff_, *self, self->options_, [self] { self->accept_next(); });
    if (admitted == detail::admission::paused) return;
    if (admitted == detail::admission::serve) {
      error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      // The handshake keeps the listener alive through its handler.
      auto on_accept = [self](connection_ptr c) {
        if (self->on_accept_) self->on_accept_(std::move(c));
      };
      std::string peer = detail::tcp_peer_name(socket);
      if (self->tls_) {
        auto h = std::make_shared<server_handshake<tls_stream>>(tls_stream(std::move(socket), *self->tls_),
                                                                std::move(peer), self->options_, on_accept, self->tls_);
        h->counted = self->count_handshake();
        h->run();
      } else {
        auto h = std::make_shared<server_handshake<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)),
                                                                       std::move(peer), self->options_, on_accept, nullptr);
        h->counted = self->count_handshake();
        h->run();
      }
    }
    self->accept_next();
  });
}

// ---- client ---------------------------------------------------------------------------------

namespace {

// One client connect in progress: resolve, TCP connect, TLS handshake (tls_ws only), upgrade.
template <class ws_stream>
struct client_handshake : std::enable_shared_from_this<client_handshake<ws_stream>> {
  using std::enable_shared_from_this<client_handshake<ws_stream>>::shared_from_this;

  // Plain.
  client_handshake(connection::executor_type executor, std::string host, unsigned short port, std::string path,
                   std::vector<serializer_kind> preference, transport_options options, connect_handler done)
      : resolver(executor), ws(executor), host(std::move(host)), port(port), path(std::move(path)),
        preference(std::move(preference)), options(options), done(std::move(done)) {}
  // TLS: `tls_config` says how to check the server, `tls` is the context built from it.
  client_handshake(connection::executor_type executor, std::string host, unsigned short port, std::string path,
                   std::vector<serializer_kind> preference, transport_options options, tls_client_config tls_config,
                   tls_context_ptr tls, connect_handler done)
      : tls(std::move(tls)), tls_config(std::move(tls_config)), resolver(executor), ws(executor, *this->tls),
        host(std::move(host)), port(port), path(std::move(path)), preference(std::move(preference)),
        options(options), done(std::move(done)) {}

  tls_context_ptr tls;  // declared before `ws`, which refers to it
  tls_client_config tls_config;
  tcp::resolver resolver;
  ws_stream ws;
  std::string host;
  unsigned short port;
  std::string path;
  std::vector<serializer_kind> preference;
  transport_options options;
  connect_handler done;
  websocket::response_type response;

  void run() {
    detail::resolve_endpoints(resolver, host, port, [self = shared_from_this()](const error_code& ec,
                                                                                   tcp::resolver::results_type r) {
      if (ec) return self->done(ec, nullptr);
      auto& tcp_layer = beast::get_lowest_layer(self->ws);
      tcp_layer.expires_after(self->options.handshake_timeout);
      tcp_layer.async_connect(r, [self](const error_code& ec, const tcp::endpoint&) {
        if (ec) return self->done(ec == beast::error::timeout ? make_error_code(errc::handshake_timeout) : ec, nullptr);
        error_code ignored;
        beast::get_lowest_layer(self->ws).socket().set_option(tcp::no_delay(true), ignored);
        if constexpr (is_tls<ws_stream>) {
          self->tls_handshake();
        } else {
          self->upgrade();
        }
      });
    });
  }

  // Still under the connect deadline.
  void tls_handshake() {
    auto& tls_layer = ws.next_layer();
    if (const auto ec = prepare_tls_client(tls_layer.native_handle(), tls_config, host)) return done(ec, nullptr);
    tls_layer.async_handshake(asio::ssl::stream_base::client, [self = shared_from_this()](const error_code& ec) {
      if (ec == beast::error::timeout) return self->done(errc::handshake_timeout, nullptr);
      if (ec) return self->done(tls_client_handshake_error(self->ws.next_layer().native_handle(), ec), nullptr);
      self->upgrade();
    });
  }

  void upgrade() {
    std::string offered;
    for (auto kind : preference) {
      if (!offered.empty()) offered += ", ";
      offered += serializer_for(kind).subprotocol();
    }
    beast::get_lowest_layer(ws).expires_never();
    ws.set_option(timeouts(options, beast::role_type::client));
    // A client masks what it sends into this buffer and writes it a buffer at a time (Beast's
    // default of 4 KiB made a 64 KiB message 16 writes).
    ws.write_buffer_bytes(client_write_buffer_bytes);
    ws.set_option(websocket::stream_base::decorator([offered](websocket::request_type& req) {
      req.set(http::field::user_agent, "autobahn-sync-cpp");
      req.set(http::field::sec_websocket_protocol, offered);
    }));
    // An IPv6 literal goes in brackets (RFC 7230, 5.4): "[::1]:8080", as in the URL.
    const bool ipv6_literal = host.find(':') != std::string::npos;
    const std::string host_header =
        (ipv6_literal ? "[" + host + "]" : host) + ":" + std::to_string(port);
    ws.async_handshake(response, host_header, path, [self = shared_from_this()](const error_code& ec) {
      if (ec == beast::error::timeout) return self->done(errc::handshake_timeout, nullptr);
      if (ec == websocket::error::upgrade_declined) {
        return self->done(self->response.result() == http::status::bad_request ? errc::serializer_unsupported
                                                                                : errc::handshake_failed,
                          nullptr);
      }
      if (ec) return self->done(ec, nullptr);
      const serializer* chosen = find_serializer(std::string(self->response[http::field::sec_websocket_protocol]));
      if (!chosen || std::find(self->preference.begin(), self->preference.end(), chosen->kind()) == self->preference.end())
        return self->done(errc::serializer_unsupported, nullptr);
      const std::string peer = detail::tcp_peer_name(beast::get_lowest_layer(self->ws).socket());
      self->done({}, std::make_shared<websocket_connection<ws_stream>>(std::move(self->ws), *chosen, self->options, peer,
                                                                       self->path, self->tls));
    });
  }
};

}  // namespace

void async_websocket_connect(connection::executor_type executor, const std::string& host, unsigned short port,
                             const std::string& path, std::vector<serializer_kind> preference,
                             transport_options options, connect_handler done) {
  if (preference.empty()) preference = {serializer_kind::json, serializer_kind::msgpack};
  std::make_shared<client_handshake<plain_ws>>(std::move(executor), host, port, path, std::move(preference), options,
                                               std::move(done))
      ->run();
}

void async_websocket_connect(connection::executor_type executor, const std::string& host, unsigned short port,
                             const std::string& path, std::vector<serializer_kind> preference,
                             transport_options options, const tls_client_config& tls, connect_handler done) {
  if (preference.empty()) preference = {serializer_kind::json, serializer_kind::msgpack};
  auto context = make_tls_client_context_or_report(tls, executor, done);
  if (!context) return;
  std::make_shared<client_handshake<tls_ws>>(std::move(executor), host, port, path, std::move(preference), options,
                                             tls, std::move(context), std::move(done))
      ->run();
}

}  // namespace autobahn_sync::wamp

// WAMP over WebSocket with Boost.Beast: subprotocol negotiation of `wamp.2.json` and
// `wamp.2.msgpack` (JSON in text frames, MsgPack in binary frames), refusal of an upgrade
// without an agreeable subprotocol (HTTP 400) or on another path (HTTP 404), Beast's
// automatic PONGs and keep-alive PINGs, the close handshake, and the message-size limit.
// Plain (ws://) or over TLS (wss://: websocket_listener_options::tls, the connect overload
// taking a tls_client_config; see tls.hpp).
//
// Thread safety: as every connection (connection.hpp). A listener is used from its executor.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "wamp/transport/connection.hpp"
#include "wamp/transport/detail/accept_backoff.hpp"
#include "wamp/transport/listener.hpp"
#include "wamp/transport/tls_config.hpp"

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace autobahn_sync::wamp {

struct websocket_listener_options {
  transport_options transport;
  /// The HTTP paths clients may upgrade on (connection_info::endpoint says which one). A
  /// request's query string is not part of its path; "*" takes any path not listed.
  std::vector<std::string> paths = {"/ws"};
  /// Serializers accepted. A client offering several gets its first one accepted here (the
  /// client's order, as AutobahnPython's and Crossbar.io's servers do).
  std::vector<serializer_kind> serializers = {serializer_kind::json, serializer_kind::msgpack};
  /// Set: accept only TLS clients (wss://) presenting this certificate (see tls.hpp).
  std::optional<tls_server_config> tls;
  /// Told of each client dropped for not finishing the upgrade in time (may be empty).
  handshake_timeout_handler on_handshake_timeout;
  /// Told of each failed accept and the pause before the next (may be empty).
  accept_error_handler on_accept_error;
  /// Told of each client closed because max_pending_handshakes were in progress (may be
  /// empty).
  handshake_timeout_handler on_handshake_limit;
};

/// Accepts WebSocket clients on host:port. Accepted connections run on `connection_executor`.
class websocket_listener final : public listener, public std::enable_shared_from_this<websocket_listener> {
 public:
  /// Binds at once (throws boost::system::system_error when it cannot, std::invalid_argument
  /// for a TLS certificate or key that cannot be used).
  static std::shared_ptr<websocket_listener> create(connection::executor_type connection_executor,
                                                    const std::string& host, unsigned short port,
                                                    websocket_listener_options options = {});

  unsigned short port() const override;
  void start(accept_handler on_accept) override;
  void close() override;

 private:
  websocket_listener(connection::executor_type executor, boost::asio::ip::tcp::endpoint endpoint,
                     websocket_listener_options options);
  void accept_next();

  connection::executor_type executor_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::unique_ptr<detail::accept_backoff> backoff_;
  websocket_listener_options options_;
  accept_handler on_accept_;
  std::shared_ptr<boost::asio::ssl::context> tls_;  // set when listening for TLS clients
};

/// The category of the error a WebSocket connection's on_close reports when the peer's close
/// frame carried a code other than 1000 (normal): the error's value is the close code, its
/// message() names it ("closed by the peer with WebSocket close code 1001 (going away)").
const boost::system::error_category& websocket_close_category() noexcept;

/// Connects to ws://host:port/path offering the serializers of `preference` (first
/// preferred); `done` runs on `executor` with the connection or the error
/// (serializer_unsupported when the server agreed to none, handshake_failed for other
/// refusals, handshake_timeout, or the socket's error).
void async_websocket_connect(connection::executor_type executor, const std::string& host, unsigned short port,
                             const std::string& path, std::vector<serializer_kind> preference,
                             transport_options options, connect_handler done);

/// The same over TLS (wss://): the server's certificate is checked as `tls` says (tls.hpp).
/// A failed check is reported as errc::tls_certificate_untrusted or tls_host_name_mismatch;
/// CA certificates that cannot be loaded as errc::tls_bad_configuration.
void async_websocket_connect(connection::executor_type executor, const std::string& host, unsigned short port,
                             const std::string& path, std::vector<serializer_kind> preference,
                             transport_options options, const tls_client_config& tls, connect_handler done);

}  // namespace autobahn_sync::wamp

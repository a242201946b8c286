// WAMP over RawSocket (specification: "RawSocket Transport"): TCP with a 4-octet handshake
// (0x7F, max-length exponent and serializer, two reserved zero octets), its error replies
// (1 serializer unsupported, 2 max length unacceptable, 3 use of reserved bits, 4 maximum
// connection count reached) and 4-octet frame headers (frame type: 0 message, 1 PING,
// 2 PONG; 24-bit length). PINGs are answered with PONGs; the length limit each side
// announced is enforced both ways. Plain (rs://) or over TLS (rss://:
// rawsocket_listener_options::tls, the connect overload taking a tls_client_config; see
// tls.hpp).
//
// Thread safety: as every connection (connection.hpp). A listener is used from its executor.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "wamp/transport/connection.hpp"
#include "wamp/transport/detail/accept_backoff.hpp"
#include "wamp/transport/listener.hpp"
#include "wamp/transport/rawsocket_handshake.hpp"  // rawsocket_length_exponent
#include "wamp/transport/tls_config.hpp"

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace autobahn_sync::wamp {

struct rawsocket_listener_options {
  transport_options transport;
  /// Serializers accepted; others get error 1.
  std::vector<serializer_kind> serializers = {serializer_kind::json, serializer_kind::msgpack};
  /// Open connections allowed at once; more get error 4. 0: no limit.
  std::size_t max_connections = 0;
  /// Clients announcing a smaller message limit get error 2 ("maximum message length
  /// unacceptable"). 0: any limit is accepted.
  std::size_t min_client_message_size = 0;
  /// Set: accept only TLS clients (rss://) presenting this certificate (see tls.hpp).
  std::optional<tls_server_config> tls;
  /// A test hook (the testing framework's handshake faults), asked on the listener's
  /// executor for each handshake about to be accepted: a result of 1..4 refuses it with that
  /// error reply instead (1 serializer unsupported, 2 maximum message length unacceptable,
  /// 3 use of reserved bits, 4 maximum connection count reached); 0 accepts it.
  std::function<int()> refuse_handshake;
  /// Told of each client dropped for not finishing the handshake in time (may be empty).
  handshake_timeout_handler on_handshake_timeout;
  /// Told of each failed accept and the pause before the next (may be empty).
  accept_error_handler on_accept_error;
  /// Told of each client closed because max_pending_handshakes were in progress (may be
  /// empty).
  handshake_timeout_handler on_handshake_limit;
};

/// Accepts RawSocket clients on host:port. Accepted connections run on `connection_executor`
/// (e.g. a router's strand).
class rawsocket_listener final : public listener, public std::enable_shared_from_this<rawsocket_listener> {
 public:
  /// Binds at once (throws boost::system::system_error when it cannot, std::invalid_argument
  /// for a TLS certificate or key that cannot be used).
  static std::shared_ptr<rawsocket_listener> create(connection::executor_type connection_executor,
                                                    const std::string& host, unsigned short port,
                                                    rawsocket_listener_options options = {});

  unsigned short port() const override;
  void start(accept_handler on_accept) override;
  void close() override;

  /// Connections accepted and not yet closed.
  std::size_t open_connections() const noexcept { return *open_; }

 private:
  rawsocket_listener(connection::executor_type executor, boost::asio::ip::tcp::endpoint endpoint,
                     rawsocket_listener_options options);
  void accept_next();
  void handshake(boost::asio::ip::tcp::socket socket);
  template <class State>
  void exchange_octets(std::shared_ptr<State> st);

  connection::executor_type executor_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::unique_ptr<detail::accept_backoff> backoff_;
  rawsocket_listener_options options_;
  accept_handler on_accept_;
  std::shared_ptr<std::size_t> open_ = std::make_shared<std::size_t>(0);
  std::shared_ptr<boost::asio::ssl::context> tls_;  // set when listening for TLS clients
};

/// Connects to a RawSocket server and performs the handshake; `done` runs on `executor` with
/// the connection or the error (connection refused, handshake_failed, the errc of the
/// server's error reply, handshake_timeout).
void async_rawsocket_connect(connection::executor_type executor, const std::string& host, unsigned short port,
                             serializer_kind serializer, transport_options options, connect_handler done);

/// The same over TLS (rss://): the server's certificate is checked as `tls` says (tls.hpp).
/// A failed check is reported as errc::tls_certificate_untrusted or tls_host_name_mismatch;
/// CA certificates that cannot be loaded as errc::tls_bad_configuration.
void async_rawsocket_connect(connection::executor_type executor, const std::string& host, unsigned short port,
                             serializer_kind serializer, transport_options options, const tls_client_config& tls,
                             connect_handler done);

}  // namespace autobahn_sync::wamp

// TLS for the network transports: `wss://` (WebSocket over TLS) and `rss://` / `rs+tls://`
// (RawSocket over TLS). This header holds the two configurations and the helpers that turn
// them into OpenSSL contexts; the transports themselves live in websocket.hpp/rawsocket.hpp.
//
// Server side (router):
//   wamp::tls_server_config tls{read_file("chain.pem"), read_file("key.pem")};
//   router.listen_websocket("0.0.0.0", 443, "/ws", tls);   // wss://host/ws
//   router.listen_rawsocket("0.0.0.0", 8443, nullptr, tls); // rss://host:8443
// The certificate chain (leaf first, then intermediates) and the private key are given as PEM
// text, not paths, so they may come from a file, a secret store or a test. TLS 1.2 and later.
//
// Client side:
//   client_options o;                       // o.tls is a wamp::tls_client_config
//   o.tls.ca_pem = my_private_ca_pem;       // optional: trust a private CA besides the system's
//   AutobahnSync c; c.run("wss://router.example.com/ws", "realm1", ...);
// By default the server's certificate must chain to a trusted CA (the system's trust store,
// plus `ca_file` / `ca_pem`) and name the host of the URL (DNS name, or IP address for an IP
// URL). `server_name` replaces the URL's host for SNI and for that check (e.g. connecting to
// an IP while the certificate names a DNS host). `verify = false` turns every check off:
// for tests only. A failed check is reported as errc::tls_certificate_untrusted or
// errc::tls_host_name_mismatch (the client's ConnectionRefusedError carries that text).
#pragma once

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>
#include <openssl/ssl.h>

#include "wamp/transport/connection.hpp"
#include "wamp/transport/tls_config.hpp"

namespace autobahn_sync::wamp {

using tls_context_ptr = std::shared_ptr<boost::asio::ssl::context>;

/// A server context holding the chain and key. Throws std::invalid_argument saying what is
/// wrong (no certificate, unreadable key, key not matching the certificate).
tls_context_ptr make_tls_server_context(const tls_server_config& config);

/// A client context trusting the system's CAs plus the config's. Throws
/// std::invalid_argument when `ca_file` or `ca_pem` cannot be loaded.
tls_context_ptr make_tls_client_context(const tls_client_config& config);

/// make_tls_client_context() for a connect function: on a bad configuration it reports
/// errc::tls_bad_configuration to `done` (posted on `executor`) and returns null.
tls_context_ptr make_tls_client_context_or_report(const tls_client_config& config,
                                                  const connection::executor_type& executor,
                                                  const connect_handler& done);

/// Prepares one client connection (`ssl` is the stream's native handle) to `host`: SNI (for
/// DNS names) and, when verifying, the host name or IP address check. Returns an error for a
/// name OpenSSL refuses.
boost::system::error_code prepare_tls_client(SSL* ssl, const tls_client_config& config, const std::string& host);

/// The error to report for a failed client TLS handshake: tls_certificate_untrusted or
/// tls_host_name_mismatch when certificate verification failed, else `handshake_error`.
boost::system::error_code tls_client_handshake_error(SSL* ssl, const boost::system::error_code& handshake_error);

}  // namespace autobahn_sync::wamp

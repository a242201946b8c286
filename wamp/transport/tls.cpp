#include "wamp/transport/tls.hpp"

#include <stdexcept>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "wamp/errc.hpp"

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using boost::system::error_code;

namespace autobahn_sync::wamp {
namespace {

// TLS 1.2 and later only; no compression, no session renegotiation surprises.
constexpr auto common_options = ssl::context::default_workarounds | ssl::context::no_sslv2 |
                                ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                                ssl::context::no_compression;

std::string why(const error_code& ec) { return ec.message(); }

bool is_ip_address(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

tls_context_ptr make_tls_server_context(const tls_server_config& config) {
  if (config.certificate_chain_pem.empty()) throw std::invalid_argument("TLS: no server certificate given");
  if (config.private_key_pem.empty()) throw std::invalid_argument("TLS: no private key given");
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  ctx->set_options(common_options | ssl::context::single_dh_use);
  error_code ec;
  ctx->use_certificate_chain(asio::buffer(config.certificate_chain_pem), ec);
  if (ec) throw std::invalid_argument("TLS: cannot load the server certificate chain: " + why(ec));
  ctx->use_private_key(asio::buffer(config.private_key_pem), ssl::context::pem, ec);
  if (ec && ec.category() == asio::error::get_ssl_category() &&
      ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == X509_R_KEY_VALUES_MISMATCH)
    throw std::invalid_argument("TLS: the private key does not match the server certificate");
  if (ec) throw std::invalid_argument("TLS: cannot load the private key: " + why(ec));
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    ERR_clear_error();
    throw std::invalid_argument("TLS: the private key does not match the server certificate");
  }
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  return ctx;
}

tls_context_ptr make_tls_client_context(const tls_client_config& config) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->set_options(common_options);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  if (!config.verify) {
    ctx->set_verify_mode(ssl::verify_none);
    return ctx;
  }
  error_code ec;
  // A system without a trust store still works with an explicit CA: ignore this failure.
  ctx->set_default_verify_paths(ec);
  if (!config.ca_file.empty()) {
    ctx->load_verify_file(config.ca_file, ec);
    if (ec) throw std::invalid_argument("TLS: cannot load CA file \"" + config.ca_file + "\": " + why(ec));
  }
  if (!config.ca_pem.empty()) {
    ctx->add_certificate_authority(asio::buffer(config.ca_pem), ec);
    if (ec) throw std::invalid_argument("TLS: cannot load the CA certificate given as PEM: " + why(ec));
  }
  ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  return ctx;
}

error_code prepare_tls_client(SSL* ssl, const tls_client_config& config, const std::string& host) {
  const std::string& name = config.server_name.empty() ? host : config.server_name;
  const bool ip = is_ip_address(name);
  // SNI carries DNS names only (RFC 6066).
  if (!ip && !name.empty() && SSL_set_tlsext_host_name(ssl, name.c_str()) != 1) {
    ERR_clear_error();
    return make_error_code(errc::handshake_failed);
  }
  if (!config.verify) return {};
  // OpenSSL's own check (rather than asio's host_name_verification callback) records
  // X509_V_ERR_HOSTNAME_MISMATCH / X509_V_ERR_IP_ADDRESS_MISMATCH, so a mismatch can be told
  // apart from an untrusted chain. Wildcards only as the whole leftmost label.
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  const int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str())
                    : X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
  if (ok != 1) {
    ERR_clear_error();
    return make_error_code(errc::handshake_failed);
  }
  return {};
}

error_code tls_client_handshake_error(SSL* ssl, const error_code& handshake_error) {
  if (!(SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER)) return handshake_error;
  switch (SSL_get_verify_result(ssl)) {
    case X509_V_OK: return handshake_error;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
    case X509_V_ERR_EMAIL_MISMATCH: return make_error_code(errc::tls_host_name_mismatch);
    default: return make_error_code(errc::tls_certificate_untrusted);
  }
}

tls_context_ptr make_tls_client_context_or_report(const tls_client_config& config,
                                                  const connection::executor_type& executor,
                                                  const connect_handler& done) {
  try {
    return make_tls_client_context(config);
  } catch (const std::exception&) {
    boost::asio::post(executor, [done] { done(make_error_code(errc::tls_bad_configuration), nullptr); });
    return nullptr;
  }
}

}  // namespace autobahn_sync::wamp

// The TLS configurations of a listener (`tls_server_config`) and of a client
// (`tls_client_config`): plain data, free of OpenSSL headers, so options structs can hold
// them. How they are used, and the defaults' reasons: tls.hpp.
#pragma once

#include <string>

namespace autobahn_sync::wamp {

/// A listener's certificate, as PEM text.
struct tls_server_config {
  /// The server certificate first, then any intermediate CA certificates.
  std::string certificate_chain_pem;
  /// The certificate's private key (unencrypted PEM: PKCS#8, RSA or EC).
  std::string private_key_pem;
};

/// How a client checks the server it connects to.
struct tls_client_config {
  /// Verify the certificate chain and the host name. false: accept any certificate (tests).
  bool verify = true;
  /// A PEM file of CA certificates trusted in addition to the system's.
  std::string ca_file;
  /// CA certificates trusted in addition to the system's, as PEM text (e.g. a test's CA).
  std::string ca_pem;
  /// The name sent as SNI and checked against the certificate; empty: the URL's host.
  std::string server_name;
};

}  // namespace autobahn_sync::wamp

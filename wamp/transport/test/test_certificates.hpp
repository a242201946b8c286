// Certificates for TLS tests, made at test time with the OpenSSL C API (nothing on disk, no
// expiry to maintain): a CA and a server certificate it signs for DNS:localhost and
// IP:127.0.0.1, all EC P-256. Each process makes one set, on first use.
//
//   const auto& pki = wamp::test::test_pki::get();
//   listener_options.tls = wamp::tls_server_config{pki.server_chain_pem, pki.server_key_pem};
//   client_tls.ca_pem = pki.ca_pem;   // leave it empty to play an untrusting client
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace autobahn_sync::wamp::test {

namespace detail {

struct bio_free {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct key_free {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct x509_free {
  void operator()(X509* x) const { X509_free(x); }
};
using key_ptr = std::unique_ptr<EVP_PKEY, key_free>;
using x509_ptr = std::unique_ptr<X509, x509_free>;

inline void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test certificate: ") + what + " failed");
}

inline std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

inline std::string pem_of(X509* cert) {
  std::unique_ptr<BIO, bio_free> bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_X509(bio.get(), cert) == 1, "PEM_write_bio_X509");
  return bio_text(bio.get());
}

inline std::string pem_of(EVP_PKEY* key) {
  std::unique_ptr<BIO, bio_free> bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "PEM_write_bio_PrivateKey");
  return bio_text(bio.get());
}

inline void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  check(ext != nullptr, value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// A certificate for `key` named `common_name`, valid from an hour ago for a day, signed by
// `issuer_key` (and `issuer`'s name; null: self-signed).
inline x509_ptr make_certificate(EVP_PKEY* key, const char* common_name, long serial, X509* issuer,
                                 EVP_PKEY* issuer_key) {
  x509_ptr cert(X509_new());
  check(cert != nullptr, "X509_new");
  X509_set_version(cert.get(), 2);  // v3
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("autobahn-sync tests"),
                             -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name), -1, -1,
                             0);
  X509* signer = issuer ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  return cert;
}

inline void sign(X509* cert, EVP_PKEY* key) { check(X509_sign(cert, key, EVP_sha256()) > 0, "X509_sign"); }

}  // namespace detail

struct test_pki {
  std::string ca_pem;            // trust this to trust the server
  std::string server_chain_pem;  // the server certificate (DNS:localhost, IP:127.0.0.1)
  std::string server_key_pem;

  static const test_pki& get() {
    static const test_pki instance = make();
    return instance;
  }

  static test_pki make() {
    using namespace detail;
    key_ptr ca_key(EVP_EC_gen("P-256"));
    key_ptr server_key(EVP_EC_gen("P-256"));
    check(ca_key && server_key, "EVP_EC_gen");

    auto ca = make_certificate(ca_key.get(), "autobahn-sync test CA", 1, nullptr, nullptr);
    add_extension(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE");
    add_extension(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
    add_extension(ca.get(), ca.get(), NID_subject_key_identifier, "hash");
    sign(ca.get(), ca_key.get());

    auto server = make_certificate(server_key.get(), "localhost", 2, ca.get(), ca_key.get());
    add_extension(server.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
    add_extension(server.get(), ca.get(), NID_key_usage, "critical,digitalSignature");
    add_extension(server.get(), ca.get(), NID_ext_key_usage, "serverAuth");
    add_extension(server.get(), ca.get(), NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
    add_extension(server.get(), ca.get(), NID_authority_key_identifier, "keyid:always");
    sign(server.get(), ca_key.get());

    return {pem_of(ca.get()), pem_of(server.get()), pem_of(server_key.get())};
  }
};

}  // namespace autobahn_sync::wamp::test

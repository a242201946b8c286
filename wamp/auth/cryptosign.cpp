#include "wamp/auth/cryptosign.hpp"

#include <memory>
#include <stdexcept>

#include <openssl/evp.h>

#include "wamp/auth/secrets.hpp"

namespace autobahn_sync::wamp::auth {
namespace {

struct pkey_deleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct md_ctx_deleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_deleter>;
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, md_ctx_deleter>;

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

}  // namespace

std::optional<ed25519_key> ed25519_key::from_seed(std::string_view seed) {
  if (seed.size() != 32) return std::nullopt;
  pkey_ptr key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, bytes(seed), seed.size()));
  if (!key) return std::nullopt;
  std::string pub(32, '\0');
  std::size_t length = pub.size();
  if (EVP_PKEY_get_raw_public_key(key.get(), reinterpret_cast<unsigned char*>(pub.data()), &length) != 1)
    return std::nullopt;
  ed25519_key k;
  k.seed_ = std::string(seed);
  k.public_key_ = std::move(pub);
  return k;
}

std::optional<ed25519_key> ed25519_key::from_seed_hex(std::string_view seed_hex) {
  const auto seed = hex_decode(seed_hex);
  if (!seed) return std::nullopt;
  return from_seed(*seed);
}

std::string ed25519_key::public_key_hex() const { return hex_encode(public_key_); }

std::string ed25519_key::sign(std::string_view message) const {
  pkey_ptr key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, bytes(seed_), seed_.size()));
  md_ctx_ptr ctx(EVP_MD_CTX_new());
  std::string signature(64, '\0');
  std::size_t length = signature.size();
  if (!key || !ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length, bytes(message),
                     message.size()) != 1)
    throw std::runtime_error("Ed25519 signing failed");
  return signature;
}

std::optional<std::string> ed25519_key::sign_challenge(std::string_view challenge_hex) const {
  const auto challenge = hex_decode(challenge_hex);
  if (!challenge) return std::nullopt;
  return hex_encode(sign(*challenge) + *challenge);
}

bool ed25519_verify(std::string_view public_key, std::string_view message, std::string_view signature) noexcept {
  if (public_key.size() != 32 || signature.size() != 64) return false;
  pkey_ptr key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes(public_key), public_key.size()));
  md_ctx_ptr ctx(EVP_MD_CTX_new());
  if (!key || !ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), bytes(signature), signature.size(), bytes(message), message.size()) == 1;
}

bool cryptosign_verify(std::string_view public_key_hex, std::string_view challenge,
                       std::string_view signature_hex) noexcept {
  try {
    const auto public_key = hex_decode(public_key_hex);
    const auto answer = hex_decode(signature_hex);
    if (!public_key || !answer || answer->size() != 64 + challenge.size()) return false;
    const std::string_view signed_part = std::string_view(*answer).substr(64);
    return secrets_equal(signed_part, challenge) &&
           ed25519_verify(*public_key, challenge, std::string_view(*answer).substr(0, 64));
  } catch (...) {
    return false;
  }
}

}  // namespace autobahn_sync::wamp::auth

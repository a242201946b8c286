// WAMP-Cryptosign (Ed25519 public-key authentication) through OpenSSL: the router sends 32
// random bytes as hex in CHALLENGE.Extra.challenge; the client signs those bytes and answers
// hex(signature(64 bytes) || challenge(32 bytes)), as AutobahnPython does. Channel binding
// (tls-unique) is not supported: the challenge is signed as sent.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace autobahn_sync::wamp::auth {

/// An Ed25519 key pair made from a 32-byte private seed.
class ed25519_key {
 public:
  /// From the raw 32-byte seed, or nullopt when it is not 32 bytes.
  static std::optional<ed25519_key> from_seed(std::string_view seed);
  /// From the seed as 64 hex digits.
  static std::optional<ed25519_key> from_seed_hex(std::string_view seed_hex);

  /// The 32-byte public key.
  const std::string& public_key() const noexcept { return public_key_; }
  /// The public key as 64 hex digits (what HELLO.Details.authextra.pubkey carries).
  std::string public_key_hex() const;

  /// The 64-byte signature of `message`.
  std::string sign(std::string_view message) const;

  /// The AUTHENTICATE signature for a CHALLENGE's hex challenge, or nullopt for bad hex.
  std::optional<std::string> sign_challenge(std::string_view challenge_hex) const;

 private:
  std::string seed_;
  std::string public_key_;
};

/// True when `signature` (64 bytes) signs `message` for the 32-byte `public_key`.
bool ed25519_verify(std::string_view public_key, std::string_view message, std::string_view signature) noexcept;

/// The router's check of an AUTHENTICATE: `signature_hex` must be hex(signature || challenge)
/// with a valid signature of `challenge` (raw bytes) by `public_key_hex`.
bool cryptosign_verify(std::string_view public_key_hex, std::string_view challenge,
                       std::string_view signature_hex) noexcept;

}  // namespace autobahn_sync::wamp::auth

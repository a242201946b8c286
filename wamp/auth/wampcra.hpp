// WAMP-CRA (challenge-response authentication), as AutobahnPython and Crossbar.io do it:
// the router sends a challenge string (a JSON object); the client answers
// base64(HMAC-SHA256(key, challenge)), where the key is the secret itself or, for salted
// secrets, base64(PBKDF2-HMAC-SHA256(secret, salt, iterations, keylen)).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "wamp/value.hpp"

namespace autobahn_sync::wamp::auth {

/// base64(HMAC-SHA256(key, challenge)): the AUTHENTICATE signature.
std::string wampcra_signature(std::string_view key, std::string_view challenge);

/// The key of a salted secret: base64 of PBKDF2-HMAC-SHA256 (AutobahnPython's derive_key).
std::string wampcra_derive_key(std::string_view secret, std::string_view salt, int iterations = 1000,
                               int keylen = 32);

/// True when `signature` answers `challenge` for `key` (constant-time comparison).
bool wampcra_verify(std::string_view key, std::string_view challenge, std::string_view signature);

/// The challenge string a router sends: a JSON object with authid, authrole, authmethod
/// "wampcra", authprovider, nonce, timestamp (ISO 8601 UTC, milliseconds) and session.
std::string wampcra_challenge(std::string_view authid, std::string_view authrole,
                              std::string_view authprovider, wamp::id session, std::string_view nonce,
                              std::int64_t unix_ms);

/// ISO 8601 UTC with milliseconds: "2026-11-25T03:04:05.678Z".
std::string iso8601_utc(std::int64_t unix_ms);

}  // namespace autobahn_sync::wamp::auth

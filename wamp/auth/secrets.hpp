// Helpers every authentication method needs: constant-time comparison, hex, and randomness
// from OpenSSL (replaceable, so simulations can make nonces reproducible).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace autobahn_sync::wamp::auth {

/// Compares two secrets in time that depends only on their lengths.
bool secrets_equal(std::string_view a, std::string_view b) noexcept;

/// Lower-case hex of `bytes`.
std::string hex_encode(std::string_view bytes);
/// The bytes of `text` (upper or lower case), or nullopt for odd length or non-hex digits.
std::optional<std::string> hex_decode(std::string_view text);

/// Fills a buffer with random bytes.
using random_source = std::function<void(unsigned char* out, std::size_t size)>;
/// OpenSSL's RAND_bytes.
random_source system_random();
/// `size` random bytes from `random`.
std::string random_bytes(const random_source& random, std::size_t size);

}  // namespace autobahn_sync::wamp::auth

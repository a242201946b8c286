// Standard base64 (RFC 4648, with padding), as WAMP uses it: JSON's binary convention
// ("\u0000" + base64) and WAMP-CRA signatures. Backed by OpenSSL's EVP encoder.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace autobahn_sync::wamp {

/// Encodes bytes as padded base64 without line breaks.
std::string base64_encode(std::string_view bytes);

/// Decodes padded base64; nullopt when `text` is not valid base64 (bad character, bad length
/// or misplaced padding). Bits of the last character that carry no byte are ignored, as
/// Python's and Node's decoders ignore them.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace autobahn_sync::wamp

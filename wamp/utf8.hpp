// UTF-8 validation (RFC 3629): rejects overlong forms, surrogates and code points past U+10FFFF.
// Both serializers use it: MsgPack `str` values must be UTF-8, as JSON strings are.
#pragma once

#include <cstddef>
#include <string_view>

namespace autobahn_sync::wamp {

/// True when `text` is well-formed UTF-8.
bool is_valid_utf8(std::string_view text) noexcept;

/// The length (1 to 4) of the well-formed UTF-8 sequence that `text` starts with, or 0 when
/// it starts with none (or is empty).
std::size_t utf8_sequence_length(std::string_view text) noexcept;

}  // namespace autobahn_sync::wamp

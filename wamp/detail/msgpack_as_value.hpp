// The MsgPack serializer's general way of reading a message: the whole input as one value,
// then from_value(), which checks it and says what is wrong. The serializer reads a usual
// message straight into its fields instead, and falls back on this for anything else; the
// two must agree on every input (serializer_test and the msgpack_decode fuzz target hold
// them to it).
#pragma once

#include <string_view>

#include "wamp/serializer.hpp"

namespace autobahn_sync::wamp::detail {

decode_result decode_msgpack_as_value(std::string_view bytes, const decode_limits& limits) noexcept;

}  // namespace autobahn_sync::wamp::detail

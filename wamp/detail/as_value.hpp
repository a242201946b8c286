// The serializers' general way of reading a message: the whole input as one value, then
// from_value(), which checks it and says what is wrong. Each serializer reads a usual message
// straight into its fields instead (field_slots.hpp) and falls back on this for anything
// else; the two ways must agree on every input (wamp/test/decode_ways.hpp holds them to it).
#pragma once

#include <cstddef>
#include <string_view>

#include "wamp/serializer.hpp"

namespace autobahn_sync::wamp::detail {

decode_result decode_msgpack_as_value(std::string_view bytes, const decode_limits& limits) noexcept;
/// The MsgPack serializer's usual way (JSON's is read_json_message in json_text.hpp): `bytes`
/// straight into the fields of `msg` when they are a usual message; false for anything else.
bool read_msgpack_message(std::string_view bytes, const decode_limits& limits, message& msg);
decode_result decode_json_as_value(std::string_view text, const decode_limits& limits) noexcept;

/// A serializer's decode(): `input` straight into a message's fields when `read_message`
/// can (a usual message), else `as_value`, which also says what is wrong.
template <class ReadMessage, class AsValue>
decode_result decode_either_way(std::string_view input, const decode_limits& limits, ReadMessage read_message,
                                AsValue as_value) noexcept {
  if (input.size() <= limits.max_message_size) {
    try {
      decode_result read;
      if (read_message(input, limits, read.msg)) return read;
    } catch (...) {
      // (out of memory) reading it as a value says so
    }
  }
  return as_value(input, limits);
}

/// The error for an input of `size` bytes over the limit of `limit`, read or not.
decode_result too_large_to_decode(std::size_t size, std::size_t limit);

}  // namespace autobahn_sync::wamp::detail

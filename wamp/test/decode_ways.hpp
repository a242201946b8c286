// Each serializer reads a usual message straight into the message's fields, and anything else
// as a value that from_value() then checks (wamp/detail/as_value.hpp). The two ways must
// agree on every input: the same message, or the same error with the same detail. Used by the
// serializer tests and by the json_decode and msgpack_decode fuzz targets.
#pragma once

#include <string>
#include <string_view>

#include "wamp/detail/as_value.hpp"
#include "wamp/serializer.hpp"

namespace autobahn_sync::wamp::test {

/// What differs between a serializer's decoding and the value way's, or "" when nothing does.
inline std::string decode_ways_disagreement(const decode_result& direct, const decode_result& as_value) {
  if (direct.error != as_value.error) return "the errors differ: " + direct.error.message() + " / " + as_value.error.message();
  if (direct.detail != as_value.detail) return "the details differ: " + direct.detail + " / " + as_value.detail;
  if (!direct.ok()) return "";
  // Compared as MsgPack writes them: a NaN read either way is not equal to itself.
  std::string direct_bytes, as_value_bytes;
  const auto direct_written = msgpack_serializer().encode(direct.msg, direct_bytes);
  const auto as_value_written = msgpack_serializer().encode(as_value.msg, as_value_bytes);
  if (direct_written != as_value_written || direct_bytes != as_value_bytes) return "the messages differ";
  return "";
}

inline std::string msgpack_ways_disagreement(std::string_view bytes, const decode_limits& limits = {}) {
  return decode_ways_disagreement(msgpack_serializer().decode(bytes, limits),
                                  detail::decode_msgpack_as_value(bytes, limits));
}

inline std::string json_ways_disagreement(std::string_view text, const decode_limits& limits = {}) {
  return decode_ways_disagreement(json_serializer().decode(text, limits), detail::decode_json_as_value(text, limits));
}

}  // namespace autobahn_sync::wamp::test

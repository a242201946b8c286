// Payload values of WAMP messages: one in-memory type (nlohmann::json) for every argument,
// keyword argument, Details and Options dict, including binary data (value::binary_t).
//
// Use `list` for positional arguments, `dict` for keyword arguments and Details/Options, and
// `value` for any single element.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace autobahn_sync::wamp {

/// Any WAMP payload element: null, bool, integer, float, string, binary, list or dict.
using value = nlohmann::json;
/// Positional arguments (WAMP `list`).
using list = value::array_t;
/// Keyword arguments, Details and Options (WAMP `dict`).
using dict = value::object_t;
/// Binary data; JSON carries it as "\u0000" + base64, MsgPack as `bin`.
using binary = value::binary_t;

/// A WAMP id: an integer in [1, 2^53] (0 only where the spec allows it).
using id = std::uint64_t;
/// Largest valid WAMP id: 2^53, so that ids survive a trip through an IEEE double.
inline constexpr id max_id = id{1} << 53;

/// A WAMP URI (topic, procedure, error, realm). Validation is in uri.hpp.
using uri = std::string;

/// The value as a non-negative integer, or nullopt. Decoded values hold positive integers as
/// unsigned, values built in C++ (`value(5)`) as signed: both are accepted.
inline std::optional<std::uint64_t> as_unsigned(const value& v) noexcept {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer() && v.get<std::int64_t>() >= 0) return static_cast<std::uint64_t>(v.get<std::int64_t>());
  return std::nullopt;
}

}  // namespace autobahn_sync::wamp

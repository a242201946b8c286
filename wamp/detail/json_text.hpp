// JSON text to and from payload values, and straight into a message's fields, for the JSON
// serializer (`wamp.2.json`).
//
// nlohmann::json reads and writes text a character at a time: a 64 KiB string took about
// 0.5 ms to read and 0.13 ms to write, four times each per call through a router. These
// scan strings eight bytes at a time and build each value once, in place. What they accept
// and write is what nlohmann's strict parser and its dump() do, with the serializer's
// WAMP rules on top:
// - binary values travel as a string of NUL followed by base64 (the specification's
//   "Binary conversion of JSON Strings"); a read string starting with NUL becomes binary;
// - NaN, Infinity and -Infinity are read as the bare tokens AutobahnPython writes (Python's
//   json allows them), and never written (strict readers refuse them; null would alter the
//   value), nor is text starting with NUL (it would come back as binary);
// - duplicate keys: the last one wins;
// - a NUL byte outside a string is refused (nlohmann takes it for the end of the text), as
//   Python's json refuses it; a discarded value (nlohmann's parse failure marker) is never
//   written.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "wamp/errc.hpp"
#include "wamp/message.hpp"
#include "wamp/serializer.hpp"
#include "wamp/value.hpp"

namespace autobahn_sync::wamp::detail {

/// Thrown by the writers for a value JSON cannot carry faithfully (errc::unrepresentable).
struct unrepresentable_in_json {};
/// Thrown by the writers for text that is not UTF-8 (errc::invalid_utf8).
struct invalid_utf8_in_json {};

/// Appends `v` as compact JSON.
void append_json(const value& v, std::string& out);
/// Appends `text` as a JSON string, quoted and escaped (a NUL start is the caller's concern:
/// keys may have one).
void append_json_string(std::string_view text, std::string& out);
/// Appends a string value: as append_json_string, but text starting with NUL (which would
/// read back as binary) throws unrepresentable_in_json.
void append_json_text(std::string_view text, std::string& out);
/// Appends a list or a dict, as append_json does.
void append_json_list(const list& l, std::string& out);
void append_json_dict(const dict& d, std::string& out);

struct json_read {
  value parsed;
  errc error{};        // malformed, invalid_utf8, nesting_too_deep or decoded_too_large
  std::string detail;  // what went wrong, and where, when error is set
};

/// Reads one JSON value filling all of `text` (whitespace around it allowed), within the
/// depth and memory limits of `limits` (its max_message_size is the caller's concern).
json_read read_json(std::string_view text, const decode_limits& limits);

/// Reads `text` straight into the fields of `msg` when it is a usual message: a well-formed
/// list of the message's fields, within the limits (field_slots.hpp). False for anything
/// else, without saying why: the serializer then reads the text with read_json(), and
/// from_value() checks and explains it. A string, list or dict field read this way costs
/// none of the allocations of a value holding it.
bool read_json_message(std::string_view text, const decode_limits& limits, message& msg);

}  // namespace autobahn_sync::wamp::detail

// A message's fields as a list known at run time: what each field in wire order takes and
// where it goes. For decoders that fill a message's fields as they read the message
// (msgpack_serializer.cpp), with no list value in between: each string, list and dict of a
// value costs an allocation of its own, which such a field does not.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "wamp/detail/message_fields.hpp"
#include "wamp/message.hpp"

namespace autobahn_sync::wamp::detail {

struct field_slot {
  enum class kind : std::uint8_t { id, type, string, dict, args, kwargs };
  kind what = kind::id;
  bool zero_allowed = false;  // an id that may be 0 (UNSUBSCRIBED's revocation)
  void* target = nullptr;     // id*, message_type*, std::string*, dict*, list* or dict*
};

struct field_slots {
  std::array<field_slot, 6> slot{};
  std::size_t count = 0;     // the message's fields, after the type code
  std::size_t required = 0;  // how many of them a message must have (the rest are optional)
};

/// Makes `msg` a default-constructed message of type `type_code` and describes its fields
/// into `out`; false for a code no message type has.
bool emplace_message(message& msg, std::uint64_t type_code, field_slots& out);

/// Whether `code` is the type of a request an ERROR may answer (an ERROR's first field).
bool is_request_that_can_fail(std::uint64_t code);

}  // namespace autobahn_sync::wamp::detail

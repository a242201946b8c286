// The codec between typed messages and the specification's list form
// `[TYPE, field, field, ..., Arguments|list, ArgumentsKw|dict]`, independent of the byte
// format. Serializers use it; so does the testing framework, to replace or rewrite messages.
//
// Encoding omits empty trailing Arguments/ArgumentsKw (an empty Arguments list is written only
// when ArgumentsKw follows it), and the optional Details of UNSUBSCRIBED/UNREGISTERED when
// empty. Decoding validates everything a peer can get wrong and never throws; `null` in place
// of Arguments or ArgumentsKw is read as empty (some routers send it).
//
// Pure functions; thread-safe.
#pragma once

#include "wamp/serializer.hpp"
#include "wamp/value.hpp"

namespace autobahn_sync::wamp {

/// The list form of `msg`.
value to_value(const message& msg);

/// The message a list value stands for, or the error saying what is wrong with it. Payloads
/// are moved out of `list_value`.
decode_result from_value(value&& list_value) noexcept;

}  // namespace autobahn_sync::wamp

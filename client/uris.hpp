// The WAMP URIs the client sends or recognises (errors, close reasons, auth methods), as named
// constants in one place. The spelling is the WAMP specification's.
#pragma once

#include <string_view>

namespace autobahn_sync::uris {

// Errors.
inline constexpr std::string_view not_authorized = "wamp.error.not_authorized";
inline constexpr std::string_view invalid_uri = "wamp.error.invalid_uri";
inline constexpr std::string_view no_such_procedure = "wamp.error.no_such_procedure";
inline constexpr std::string_view no_such_subscription = "wamp.error.no_such_subscription";
inline constexpr std::string_view no_such_registration = "wamp.error.no_such_registration";
inline constexpr std::string_view procedure_already_exists = "wamp.error.procedure_already_exists";
inline constexpr std::string_view invalid_argument = "wamp.error.invalid_argument";
inline constexpr std::string_view canceled = "wamp.error.canceled";
inline constexpr std::string_view timeout = "wamp.error.timeout";
inline constexpr std::string_view runtime_error = "wamp.error.runtime_error";
// A callee's result or error that cannot be serialized (AutobahnPython's INVALID_PAYLOAD).
inline constexpr std::string_view invalid_payload = "wamp.error.invalid_payload";
inline constexpr std::string_view protocol_violation = "wamp.error.protocol_violation";
inline constexpr std::string_view cannot_authenticate = "wamp.error.cannot_authenticate";
inline constexpr std::string_view authentication_failed = "wamp.error.authentication_failed";
inline constexpr std::string_view no_such_realm = "wamp.error.no_such_realm";
inline constexpr std::string_view no_such_role = "wamp.error.no_such_role";

// Close reasons (GOODBYE / ABORT).
inline constexpr std::string_view close_normal = "wamp.close.normal";
inline constexpr std::string_view close_goodbye_and_out = "wamp.close.goodbye_and_out";
inline constexpr std::string_view close_system_shutdown = "wamp.close.system_shutdown";

}  // namespace autobahn_sync::uris

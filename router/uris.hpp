// The error, close and meta URIs the router sends, in one place.
#pragma once

namespace autobahn_sync::router::uris {

// ABORT and GOODBYE reasons.
inline constexpr const char* no_such_realm = "wamp.error.no_such_realm";
inline constexpr const char* no_such_role = "wamp.error.no_such_role";
inline constexpr const char* not_authorized = "wamp.error.not_authorized";
inline constexpr const char* authentication_failed = "wamp.error.authentication_failed";
inline constexpr const char* protocol_violation = "wamp.error.protocol_violation";
inline constexpr const char* close_normal = "wamp.close.normal";
inline constexpr const char* goodbye_and_out = "wamp.close.goodbye_and_out";
inline constexpr const char* system_shutdown = "wamp.close.system_shutdown";
inline constexpr const char* close_realm = "wamp.close.close_realm";
inline constexpr const char* killed = "wamp.close.killed";

// ERROR URIs.
inline constexpr const char* invalid_uri = "wamp.error.invalid_uri";
inline constexpr const char* invalid_argument = "wamp.error.invalid_argument";
inline constexpr const char* no_such_procedure = "wamp.error.no_such_procedure";
inline constexpr const char* procedure_already_exists = "wamp.error.procedure_already_exists";
// A shared registration exists with another invocation policy (Crossbar.io's URI).
inline constexpr const char* procedure_exists_with_different_invocation_policy =
    "wamp.error.procedure_exists_with_different_invocation_policy";
inline constexpr const char* no_such_registration = "wamp.error.no_such_registration";
inline constexpr const char* no_such_subscription = "wamp.error.no_such_subscription";
inline constexpr const char* no_such_session = "wamp.error.no_such_session";
inline constexpr const char* canceled = "wamp.error.canceled";
inline constexpr const char* timeout = "wamp.error.timeout";
inline constexpr const char* option_not_allowed = "wamp.error.option_not_allowed";
inline constexpr const char* no_eligible_callee = "wamp.error.no_eligible_callee";
inline constexpr const char* runtime_error = "wamp.error.runtime_error";
// A RESULT or INVOCATION is bigger than its receiver accepts (its transport's size limit).
inline constexpr const char* payload_size_exceeded = "wamp.error.payload_size_exceeded";
// The callee has too many invocations outstanding (router_limits).
inline constexpr const char* unavailable = "wamp.error.unavailable";
// A session holds as many subscriptions or registrations, or has as many calls waiting, as
// router_limits allow. Not in the
// specification; the project's own URI.
inline constexpr const char* limit_reached = "wamp.error.limit_reached";

}  // namespace autobahn_sync::router::uris

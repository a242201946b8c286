// Facts about a message that fault rules and the trace select on: its direction, the session
// phase it belongs to, its URI (topic, procedure, realm, error or reason) and request id.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "wamp/message.hpp"

namespace autobahn_sync::testing {

/// Which way a message travels, seen from the router.
enum class direction { to_router, to_client };

/// Where a session is in its life when a message passes.
enum class session_phase {
  joining,      // HELLO sent, not yet WELCOMEd or ABORTed (includes CHALLENGE/AUTHENTICATE)
  established,  // between WELCOME and GOODBYE
  closing,      // after the first GOODBYE or an ABORT
};

std::string_view to_string(direction d) noexcept;
std::string_view to_string(session_phase p) noexcept;

/// The URI a message carries: realm (HELLO), reason (ABORT, GOODBYE), error URI (ERROR),
/// topic (PUBLISH, SUBSCRIBE), procedure (CALL, REGISTER); nullopt for the others.
std::optional<std::string_view> uri_of(const wamp::message& msg) noexcept;

/// The request id a message carries (the first id field of requests and their answers),
/// or nullopt (HELLO, WELCOME, ABORT, CHALLENGE, AUTHENTICATE, GOODBYE, EVENT).
std::optional<wamp::id> request_of(const wamp::message& msg) noexcept;

/// The phase a session is in after `msg` passed, given the phase before it.
session_phase next_phase(session_phase before, const wamp::message& msg) noexcept;

/// Notes of the trace lines a fixture's watched handlers write when they start
/// (wamp_fixture::watched_handler): they stand for a handler run, not for a message sent.
inline constexpr std::string_view note_handler_started = "handler started";
/// The same, for a handler that started after its client's stop() or leave() had returned.
inline constexpr std::string_view note_handler_after_leave = "handler started after its client left";
/// True for the notes above.
inline bool is_handler_note(std::string_view note) noexcept {
  return note == note_handler_started || note == note_handler_after_leave;
}

}  // namespace autobahn_sync::testing

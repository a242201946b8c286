// The exceptions of the synchronous client, named and arranged as in the Autobahn-Sync seed
// (autobahn_sync.exceptions), and the mapping from WAMP error URIs onto them.
//
//   Error                              base of everything the client throws
//   ├── SessionNotReady                the session is not joined yet (still connecting/joining)
//   ├── SerializationError             args/kwargs cannot be encoded (bad UTF-8, too large)
//   ├── ProtocolError                  the router violated the protocol; the session is closed
//   ├── TransportLost                  the connection is gone (or was never there)
//   ├── ApplicationError               an ERROR answer: error URI, args, kwargs
//   │   ├── NotAuthorized              wamp.error.not_authorized
//   │   └── InvalidUri                 wamp.error.invalid_uri
//   ├── ConnectionRefusedError         connecting to the router failed
//   ├── AbortError                     the router answered HELLO with ABORT (reason, details)
//   ├── AlreadyRunningError            run() on a client that is running
//   └── NotRunningError                stop()/session() on a client that is not running, or a
//                                      wait cut short by stop()
//
// Unlike AutobahnPython, NotAuthorized and InvalidUri derive from ApplicationError so that
// they carry the router's URI, args and kwargs like any other ERROR answer.
//
// Thread safety: exception objects are immutable after construction; copies may be shared.
#pragma once

#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>

#include "wamp/value.hpp"

namespace autobahn_sync {

/// Base class for all exceptions related to WAMP.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The application tried to perform a WAMP interaction, but the session is not yet fully
/// established.
class SessionNotReady : public Error {
 public:
  using Error::Error;
};

/// The WAMP serializer could not serialize the application payload (args or kwargs of CALL,
/// PUBLISH, YIELD...): nothing was sent. Also a call's answer when the callee could not
/// serialize its result (ERROR wamp.error.invalid_payload, as AutobahnPython maps it).
class SerializationError : public Error {
 public:
  using Error::Error;
};

/// The WAMP protocol was violated (by the peer). Fatal: the session is closed.
class ProtocolError : public Error {
 public:
  using Error::Error;
};

/// The transport underlying the WAMP session was lost or is not connected.
class TransportLost : public Error {
 public:
  using Error::Error;
};

/// An error that the application can handle: the ERROR answer of the router or of a callee,
/// or what a handler throws to answer with ERROR.
class ApplicationError : public Error {
 public:
  /// `error` is the WAMP error URI (e.g. "com.example.error.out_of_stock").
  explicit ApplicationError(wamp::uri error, wamp::list args = {}, wamp::dict kwargs = {});

  /// The WAMP error URI.
  const wamp::uri& error() const noexcept { return error_; }
  /// The positional arguments of the error.
  const wamp::list& args() const noexcept { return args_; }
  /// The keyword arguments of the error.
  const wamp::dict& kwargs() const noexcept { return kwargs_; }

  /// The error message: the URI, then the positional arguments separated by spaces
  /// (strings as they are, other values as JSON), as AutobahnPython's error_message().
  std::string error_message() const;

 private:
  wamp::uri error_;
  wamp::list args_;
  wamp::dict kwargs_;
};

/// Not authorized to perform the respective action (wamp.error.not_authorized).
class NotAuthorized : public ApplicationError {
 public:
  explicit NotAuthorized(wamp::list args = {}, wamp::dict kwargs = {});
};

/// The URI for a topic, procedure or error is not a valid WAMP URI (wamp.error.invalid_uri).
class InvalidUri : public ApplicationError {
 public:
  explicit InvalidUri(wamp::list args = {}, wamp::dict kwargs = {});
};

/// Connecting to the router failed (refused, unreachable, bad URL, transport handshake).
class ConnectionRefusedError : public Error {
 public:
  using Error::Error;
};

/// The router responded with an ABORT message to our HELLO (or during authentication).
class AbortError : public Error {
 public:
  AbortError(wamp::uri reason, wamp::dict details);

  /// The ABORT reason URI, e.g. "wamp.error.no_such_realm".
  const wamp::uri& reason() const noexcept { return reason_; }
  /// The ABORT details (often a "message").
  const wamp::dict& details() const noexcept { return details_; }

 private:
  wamp::uri reason_;
  wamp::dict details_;
};

/// run() was called on an AutobahnSync that is already running.
class AlreadyRunningError : public Error {
 public:
  using Error::Error;
};

/// stop() or session() on an AutobahnSync that is not running; also what a blocked caller
/// gets when stop() ends the session under it.
class NotRunningError : public Error {
 public:
  using Error::Error;
};

/// The exception for a WAMP error URI: NotAuthorized for wamp.error.not_authorized,
/// InvalidUri for wamp.error.invalid_uri, ApplicationError otherwise.
std::exception_ptr make_application_error(const wamp::uri& error, wamp::list args = {},
                                          wamp::dict kwargs = {});

/// A new exception object equal to the one `e` holds (same type, for every exception of this
/// header; other types are returned as they are). The client hands each waiting caller its
/// own copy, and throws a copy made on the caller's thread, so no exception object is shared
/// between threads: libstdc++'s exception_ptr reference count is invisible to
/// ThreadSanitizer, which would otherwise report the release of a shared one as a race.
std::exception_ptr clone_error(const std::exception_ptr& e);

/// Throws the exception make_application_error() returns.
[[noreturn]] void throw_application_error(const wamp::uri& error, wamp::list args = {},
                                          wamp::dict kwargs = {});

}  // namespace autobahn_sync

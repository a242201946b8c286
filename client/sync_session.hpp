// `SyncSession`: the synchronous WAMP session of an AutobahnSync client (the seed's
// autobahn_sync.session.SyncSession): call, publish, subscribe, register_procedure and
// leave, each blocking until the router answered; and the `subscription` / `registration`
// handles they return.
//
// Obtain it from AutobahnSync::session(); it stays valid as long as its AutobahnSync.
//
// @par Thread safety
// Any number of threads may use one SyncSession at once. Handlers run on the client's
// callbacks runner (see callbacks_runner.hpp), one at a time; a handler may call any
// SyncSession method, including a call() to a procedure this same session registered: while
// a handler waits, the runner keeps running other handlers on the waiting thread (one at a
// time with the default callback_threads = 1). SyncSession methods called on the I/O thread
// (an on_challenge handler) throw Error at once: their answer could never be read.
//
// @par Blocking
// Every blocking method returns when the router answered, or throws: the mapped ERROR
// (ApplicationError, NotAuthorized, InvalidUri), TransportLost when the connection is lost
// meanwhile, NotRunningError when stop() ends the client meanwhile, SessionNotReady before
// the session is joined, SerializationError when the payload cannot be encoded, and
// ApplicationError wamp.error.timeout when the timeout (client_options::call_timeout or the
// call's own) expires. Nothing waits forever.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "client/types.hpp"
#include "wamp/value.hpp"

namespace autobahn_sync {

namespace detail {
class session_state;
struct waiter;
}

/// A subscription made by SyncSession::subscribe. Copyable; all copies name the same one.
class subscription {
 public:
  subscription() = default;
  /// Removes it (blocking until the router confirmed when it was the last local
  /// subscription on its topic). Idempotent; a no-op once the session is gone.
  void unsubscribe();
  bool active() const;
  const wamp::uri& topic() const noexcept { return topic_; }

 private:
  friend class SyncSession;
  std::weak_ptr<detail::session_state> state_;
  std::uint64_t key_ = 0;
  wamp::uri topic_;
  std::shared_ptr<std::atomic<bool>> active_;
};

/// A registration made by SyncSession::register_procedure. Copyable.
class registration {
 public:
  registration() = default;
  /// Removes it, blocking until the router confirmed. Idempotent.
  void unregister();
  bool active() const;
  const wamp::uri& procedure() const noexcept { return procedure_; }

 private:
  friend class SyncSession;
  std::weak_ptr<detail::session_state> state_;
  std::uint64_t key_ = 0;
  wamp::uri procedure_;
  std::shared_ptr<std::atomic<bool>> active_;
};

class SyncSession {
 public:
  explicit SyncSession(std::shared_ptr<detail::session_state> state);

  /// Calls a remote procedure and returns its (final) result. Progressive results go to
  /// options.on_progress on this thread first.
  call_result call(const wamp::uri& procedure, wamp::list args = {}, wamp::dict kwargs = {},
                   const call_options& options = {});

  /// Publishes an event. With options.acknowledge, returns the publication id once the
  /// router acknowledged (or throws its ERROR); else returns nullopt once sent.
  std::optional<wamp::id> publish(const wamp::uri& topic, wamp::list args = {},
                                  wamp::dict kwargs = {}, const publish_options& options = {});

  /// Subscribes `handler` to `topic`; returns once the router confirmed.
  subscription subscribe(const wamp::uri& topic, event_handler handler,
                         const subscribe_options& options = {});

  /// Registers `handler` as `procedure`; returns once the router confirmed.
  registration register_procedure(const wamp::uri& procedure, procedure_handler handler,
                                  const register_options& options = {});

  /// Actively closes this WAMP session: GOODBYE, then waits (client_options::leave_timeout)
  /// for the router's GOODBYE; pending requests fail with TransportLost. The connection is
  /// closed afterwards. Throws NotRunningError when stop() ends the client meanwhile.
  void leave(const std::string& reason = "wamp.close.normal");

  /// The WAMP session id (0 when not joined).
  wamp::id id() const;
  /// The WELCOME details (authid, authrole, authmethod, ...).
  wamp::dict welcome_details() const;
  /// True while the session is established.
  bool is_joined() const;

 private:
  std::shared_ptr<detail::session_state> state_;
};

}  // namespace autobahn_sync

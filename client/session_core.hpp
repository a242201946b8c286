// `session_core`: the client side of one WAMP session as a sans-I/O state machine. Router
// messages go in (on_message, on_transport_lost); messages to send come out through the
// `send` hook; every request completes through the callback it was given. No sockets, no
// threads, no clocks: the blocking layer (autobahn_sync.hpp) drives it on its I/O executor,
// tests drive it directly.
//
// Lifecycle: closed --join()--> joining --WELCOME--> established --leave()--> leaving
// --GOODBYE--> closed. ABORT, a router GOODBYE, a protocol violation or on_transport_lost()
// close it from any state; then every pending request fails at once with the same exception
// and the `on_close` hook runs once. A closed core may join() again (reconnect).
//
// Tolerant reading: null args/kwargs are read as empty (by the codec); answers to requests
// the core no longer waits for (a call canceled or timed out locally) and events for
// subscriptions just removed are dropped. Messages a router never sends to a client, or
// WELCOME/CHALLENGE outside of joining, are protocol violations: the core sends ABORT
// wamp.error.protocol_violation and closes with ProtocolError.
//
// Thread safety: distinct objects are independent; a shared object is not thread-safe (call
// it from one thread or strand). Hooks and completion callbacks run inside the call that
// caused them (on_message, on_transport_lost, or a request function for synchronous
// failures are thrown instead) and may call back into the core.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <optional>
#include <deque>
#include <set>
#include <unordered_set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/system/error_code.hpp>

#include "wamp/message.hpp"
#include "wamp/value.hpp"

namespace autobahn_sync {

/// What HELLO carries besides the roles: the realm and the authentication request.
struct join_options {
  wamp::uri realm = "realm1";
  std::vector<std::string> authmethods;  // empty: none sent (anonymous)
  std::string authid;                    // empty: not sent
  std::string authrole;                  // empty: not sent
  wamp::dict authextra;                  // empty: not sent
  std::string agent = "autobahn-sync-cpp";
};

/// Answers a CHALLENGE with the AUTHENTICATE to send; throws to give up (the core then
/// aborts the join with wamp.error.cannot_authenticate).
using challenge_handler = std::function<wamp::authenticate(const wamp::challenge&)>;

/// One RESULT (progressive or final) or the failure of a call.
struct call_outcome {
  std::exception_ptr error;  // set: the call failed, nothing else follows
  wamp::result result;       // valid when !error
  bool progress = false;     // true: a progressive result, more follow
};

/// The client roles and features announced in HELLO.Details.roles.
wamp::dict client_roles();

class session_core {
 public:
  enum class state { closed, joining, established, leaving };

  using call_handler = std::function<void(call_outcome&&)>;
  using publish_handler = std::function<void(std::exception_ptr, wamp::id publication)>;
  /// Completes subscribe/register: the local key to unsubscribe/unregister with, or an error.
  using key_handler = std::function<void(std::exception_ptr, std::uint64_t key)>;
  using done_handler = std::function<void(std::exception_ptr)>;
  using event_sink = std::function<void(const wamp::event&)>;
  using invocation_sink = std::function<void(wamp::invocation&&)>;

  struct hooks {
    /// Sends one message; an error (encoding failed, not connected) makes the request fail
    /// with SerializationError / TransportLost. Required.
    std::function<boost::system::error_code(const wamp::message&)> send;
    /// The session is established (WELCOME).
    std::function<void(const wamp::welcome&)> on_join;
    /// The session ended. `why` is null after a leave() we asked for, else the reason
    /// (AbortError, ProtocolError, TransportLost, ...). The owner should close the transport.
    std::function<void(std::exception_ptr why)> on_close;
    /// CHALLENGE answerer; empty: a CHALLENGE aborts the join.
    challenge_handler on_challenge;
    /// An INVOCATION was interrupted by the router, or its own timeout passed
    /// (expire_invocation); already answered with ERROR canceled or timeout.
    std::function<void(wamp::id invocation_request)> on_interrupt;
    /// Source of request ids; empty: sequential from 1.
    std::function<wamp::id()> next_request_id;
    /// The router revoked a subscription or registration (UNSUBSCRIBED / UNREGISTERED with
    /// request 0): the local key it had is gone, as after unsubscribe/unregister.
    std::function<void(std::uint64_t key)> on_revoked;
  };

  explicit session_core(hooks h);

  state current_state() const noexcept { return state_; }
  /// The session id of the WELCOME (0 before).
  wamp::id session_id() const noexcept { return session_id_; }
  /// The WELCOME's details (authid, authrole, roles of the router, ...).
  const wamp::dict& welcome_details() const noexcept { return welcome_details_; }

  /// Sends HELLO. Precondition: closed. Throws TransportLost when the send fails.
  void join(const join_options& options);

  /// Sends GOODBYE (reason wamp.close.normal by default); every pending request fails at
  /// once with `pending_error` (TransportLost by default). The session closes when the
  /// router answers GOODBYE, or at once when not established. No-op when closed/leaving.
  void leave(std::string reason = {}, std::exception_ptr pending_error = nullptr);

  /// A message from the router.
  void on_message(wamp::message&& msg);
  /// The transport is gone: every pending request fails with TransportLost, and `on_close`
  /// runs (unless already closed).
  void on_transport_lost(const std::string& why);
  /// Bytes from the router that are not a valid message: a protocol violation (ABORT, then
  /// closed with ProtocolError).
  void on_bad_message(const std::string& what);

  // Requests. Each throws synchronously when it cannot be sent (SessionNotReady while
  // joining, TransportLost when closed, SerializationError when the payload cannot be
  // encoded), else completes through its handler exactly once (calls: once per progressive
  // result plus once final). They return the request id.

  wamp::id call(wamp::uri procedure, wamp::list args, wamp::dict kwargs, wamp::dict options,
                call_handler on_result);
  /// Cancels a pending call: sends CANCEL {mode}. When `complete_with` is set, the call
  /// completes at once with it and the router's answer is dropped; else the router's ERROR
  /// (wamp.error.canceled) or RESULT completes it. A router whose WELCOME does not announce
  /// call_canceling gets no CANCEL: the call completes at once (with ApplicationError
  /// wamp.error.canceled without `complete_with`). No-op for a call no longer pending.
  void cancel(wamp::id call_request, std::string mode = "killnowait",
              std::exception_ptr complete_with = nullptr);

  /// Publishes. With options.acknowledge == true, `on_done` runs on PUBLISHED/ERROR; else
  /// it runs at once after sending (publication 0).
  wamp::id publish(wamp::uri topic, wamp::list args, wamp::dict kwargs, wamp::dict options,
                   publish_handler on_done);

  wamp::id subscribe(wamp::uri topic, wamp::dict options, event_sink sink, key_handler on_done);
  /// Removes a local subscription; UNSUBSCRIBE goes to the router only when it was the
  /// last local subscription on that router subscription. Unknown keys complete at once.
  void unsubscribe(std::uint64_t key, done_handler on_done);

  wamp::id register_procedure(wamp::uri procedure, wamp::dict options, invocation_sink sink,
                              key_handler on_done);
  void unregister(std::uint64_t key, done_handler on_done);

  /// Answers an INVOCATION with YIELD (`progress`: a progressive result, more follow).
  /// Dropped when the invocation is no longer open (interrupted, answered, session closed).
  void yield(wamp::id invocation_request, wamp::list args, wamp::dict kwargs,
             bool progress = false);
  /// The callee's deadline for an INVOCATION passed (its Details.timeout, which a router
  /// may pass to callees announcing call_timeout): answers ERROR wamp.error.timeout, tells
  /// on_interrupt, and drops the handler's later answer. No-op once answered.
  void expire_invocation(wamp::id invocation_request);
  /// Answers an INVOCATION with ERROR.
  void invocation_error(wamp::id invocation_request, wamp::uri error, wamp::list args = {},
                        wamp::dict kwargs = {});

  /// Number of requests waiting for an answer (for leak checks in tests).
  std::size_t pending_count() const noexcept { return pending_.size(); }

 private:
  struct pending_call { call_handler handler; };
  struct pending_publish { publish_handler handler; };
  // Topic and options are kept to send the SUBSCRIBE again (see on_subscribed); `sent` orders
  // it among the (UN)SUBSCRIBEs and (UN)REGISTERs (see sends_).
  struct pending_subscribe { wamp::uri topic; wamp::dict options; event_sink sink; key_handler handler; std::uint64_t sent = 0; };
  struct pending_unsubscribe { done_handler handler; wamp::id subscription = 0; };
  // Procedure and options are kept to send the REGISTER again (see on_error).
  struct pending_register { wamp::uri procedure; wamp::dict options; invocation_sink sink; key_handler handler; std::uint64_t sent = 0; };
  // What an UNREGISTER in flight frees: the procedure URI and its match policy.
  using registered_uri = std::pair<wamp::uri, std::string>;
  struct pending_unregister { done_handler handler; registered_uri frees; std::uint64_t sent = 0; };
  using pending = std::variant<pending_call, pending_publish, pending_subscribe,
                               pending_unsubscribe, pending_register, pending_unregister>;

  struct local_subscription { wamp::id subscription; event_sink sink; };
  struct local_registration { wamp::id registration; invocation_sink sink; registered_uri uri; };

  wamp::id next_id();
  void require_established() const;
  void send_or_throw(const wamp::message& msg);
  void protocol_violation(const std::string& what);
  void close(std::exception_ptr why);
  void fail_all(std::exception_ptr error);
  static void fail_all(std::map<wamp::id, pending> pending, std::exception_ptr error);

  void on_welcome(wamp::welcome&& msg);
  // The router's WELCOME announces dealer call_canceling.
  bool router_cancels() const;
  void on_challenge(wamp::challenge&& msg);
  void on_error(wamp::error&& msg);
  void on_result(wamp::result&& msg);
  void on_published(const wamp::published& msg);
  void on_subscribed(const wamp::subscribed& msg);
  void on_unsubscribed(const wamp::unsubscribed& msg);
  void on_registered(const wamp::registered& msg);
  void on_unregistered(const wamp::unregistered& msg);
  void on_event(const wamp::event& msg);
  void on_invocation(wamp::invocation&& msg);
  void on_interrupt(const wamp::interrupt& msg);
  // Answers an open invocation with ERROR `error_uri` and drops the handler's later answer.
  void end_invocation(wamp::id invocation_request, std::string_view error_uri);
  void forget_unregistering(const registered_uri& uri, std::uint64_t sent);
  // True when an UNREGISTER of the URI `r` asks for went out after `r` did.
  bool unregistered_after(const pending_register& r) const;

  hooks hooks_;
  state state_ = state::closed;
  bool ever_joined_ = false;
  wamp::id last_request_id_ = 0;
  wamp::id session_id_ = 0;
  wamp::dict welcome_details_;
  std::map<wamp::id, pending> pending_;
  std::uint64_t last_key_ = 0;
  std::map<std::uint64_t, local_subscription> subscriptions_;
  std::map<std::uint64_t, local_registration> registrations_;
  // Counts the (UN)SUBSCRIBEs and (UN)REGISTERs sent: a SUBSCRIBE is sent again only when
  // an UNSUBSCRIBE went out after it, never for an answer to its own repetition (a router
  // that never answers the UNSUBSCRIBE must not make it loop).
  std::uint64_t sends_ = 0;
  std::multimap<registered_uri, std::uint64_t> unregistering_;  // UNREGISTERs in flight, when sent
  std::map<wamp::id, std::set<std::uint64_t>> keys_of_subscription_;
  // Router subscriptions with an UNSUBSCRIBE in flight, and when it was sent.
  std::map<wamp::id, std::uint64_t> unsubscribing_;
  std::map<wamp::id, std::uint64_t> key_of_registration_;
  std::set<wamp::id> open_invocations_;
  // The last request ids of INVOCATIONs received, so a repeat is refused even after the
  // first one was answered.
  static constexpr std::size_t recent_invocations_kept = 4096;
  std::unordered_set<wamp::id> recent_invocations_;
  std::deque<wamp::id> recent_invocation_order_;
  void remember_invocation(wamp::id request);
};

}  // namespace autobahn_sync

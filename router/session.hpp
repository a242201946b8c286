// A client session as the router's core keeps it: identity, state, the features its client
// announced, and the sink its messages go out through. Owned by router_core; realms, the
// broker and the dealer refer to sessions by id.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>

#include "router/authenticator.hpp"
#include "wamp/id.hpp"
#include "wamp/message.hpp"

namespace autobahn_sync::router {

class realm;

/// Where a session's outgoing messages go: the thin I/O layer supplies it.
struct session_sink {
  std::function<void(wamp::message&&)> send;
  /// Ends the transport (after what was sent is flushed).
  std::function<void()> close;
};

/// Descriptive facts of the transport, reported in session details.
struct transport_details {
  std::string type = "inprocess";  // "websocket", "rawsocket", "inprocess"
  std::string serializer = "json";
  std::string peer = "inprocess";
  std::string endpoint;  // WebSocket path
};

struct session {
  enum class state { awaiting_hello, authenticating, established, closing };

  wamp::id id = 0;
  state phase = state::awaiting_hello;
  realm* joined = nullptr;  // the realm while authenticating or established
  hello_request hello;      // kept while authenticating
  std::string authid;
  std::string authrole;
  std::string authmethod;
  std::string authprovider;
  wamp::dict authextra;
  wamp::dict client_roles;  // HELLO.Details.roles
  transport_details transport;
  std::shared_ptr<const transport_auth> auth;  // the listener's own authentication, if any
  session_sink sink;
  /// Messages its sink could not deliver (too big or not encodable for its transport); the
  /// I/O layer counts them, the dealer sees by it that a progressive RESULT did not arrive.
  std::size_t undelivered = 0;
  wamp::sequential_id_source invocation_ids;
  std::unordered_set<wamp::id> subscriptions;
  std::unordered_set<wamp::id> registrations;

  void send(wamp::message&& msg) const {
    if (sink.send) sink.send(std::move(msg));
  }

  /// True when the client announced `feature` for `role` (e.g. "callee", "call_canceling").
  bool has_feature(std::string_view role, std::string_view feature) const;

  /// The session's details as the meta API reports them.
  wamp::dict details() const;
};

}  // namespace autobahn_sync::router

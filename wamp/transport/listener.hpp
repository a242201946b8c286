// `listener`: what the router holds of a listening endpoint (RawSocket or WebSocket): the
// port it is bound to and a way to stop accepting. Connections already accepted live on.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "wamp/transport/connection.hpp"

namespace autobahn_sync::wamp {

class listener {
 public:
  virtual ~listener() = default;
  /// The bound port (the ephemeral one when constructed with port 0).
  virtual unsigned short port() const = 0;
  /// Starts accepting; each connection whose transport handshake succeeded goes to
  /// `on_accept`, on the connection executor given at construction.
  virtual void start(accept_handler on_accept) = 0;
  /// Stops accepting. Idempotent.
  virtual void close() = 0;
};

using listener_ptr = std::shared_ptr<listener>;

/// Told, on the listener's executor, of a peer ("tcp4:127.0.0.1:51234") dropped because it
/// did not finish the transport handshake within transport_options::handshake_timeout: a
/// silent or trickling client. The router logs it.
using handshake_timeout_handler = std::function<void(const std::string& peer)>;

}  // namespace autobahn_sync::wamp

// `listener`: what the router holds of a listening endpoint (RawSocket or WebSocket): the
// port it is bound to and a way to stop accepting. Connections already accepted live on.
#pragma once

#include <functional>
#include <memory>

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

}  // namespace autobahn_sync::wamp

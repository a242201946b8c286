// `listener`: what the router holds of a listening endpoint (RawSocket or WebSocket): the
// port it is bound to and a way to stop accepting. Connections already accepted live on.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
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

  /// Accepted sockets whose transport handshake has not ended (handed to `on_accept`,
  /// refused, failed or timed out). Once this and the owner's count of connections are both
  /// 0, every connection a peer completed was handed over. Thread-safe.
  std::size_t handshakes_in_progress() const noexcept { return handshakes_->load(); }

  /// True when `limit` (transport_options::max_pending_handshakes; 0: none) handshakes are in
  /// progress already: the listener closes the connection it just accepted.
  bool handshakes_at_limit(std::size_t limit) const noexcept { return limit != 0 && handshakes_in_progress() >= limit; }

 protected:
  /// Counts one handshake until the returned token is released: the handshake's state holds
  /// it, so the count drops once the last handler of the handshake returned.
  std::shared_ptr<void> count_handshake() {
    ++*handshakes_;
    return std::shared_ptr<void>(static_cast<void*>(nullptr), [count = handshakes_](void*) { --*count; });
  }

 private:
  std::shared_ptr<std::atomic<std::size_t>> handshakes_ = std::make_shared<std::atomic<std::size_t>>(0);
};

using listener_ptr = std::shared_ptr<listener>;

/// Told, on the listener's executor, of a peer ("tcp4:127.0.0.1:51234") dropped because it
/// did not finish the transport handshake within transport_options::handshake_timeout: a
/// silent or trickling client. The router logs it.
using handshake_timeout_handler = std::function<void(const std::string& peer)>;

/// Told, on the listener's executor, that accepting a connection failed (out of file
/// descriptors: "Too many open files") and how long the listener pauses before it tries
/// again. The router logs it.
using accept_error_handler =
    std::function<void(const boost::system::error_code& ec, std::chrono::milliseconds pause)>;

}  // namespace autobahn_sync::wamp

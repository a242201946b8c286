// `connection`: one WAMP transport connection (RawSocket, WebSocket or in-process) as seen by
// a session, client or router alike: whole messages in and out, framing and serialization
// hidden. Every transport implements this interface, so code above it (and fault-injecting
// decorators of the testing framework) never knows which one it has.
//
// Thread safety: distinct objects are independent. A shared object is not thread-safe: call
// start(), send(), close() and close_abruptly() only on get_executor() (from a handler running
// there, or through asio::post/dispatch). Handlers are always invoked on get_executor(), never
// from inside a call to start/send/close.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/system/error_code.hpp>

#include "wamp/errc.hpp"
#include "wamp/message.hpp"
#include "wamp/serializer.hpp"

namespace autobahn_sync::wamp {

/// What a connection tells its owner. Each may be empty (the event is then ignored).
struct connection_handler {
  /// A whole, decoded message arrived.
  std::function<void(message&&)> on_message;
  /// Bytes arrived that are not a valid message (`ec` says why, `detail` where). The
  /// connection stays open: the owner decides (a router answers with ABORT
  /// `wamp.error.protocol_violation`, then closes).
  std::function<void(const boost::system::error_code& ec, const std::string& detail)>
      on_bad_message;
  /// The connection is closed: by close(), by the peer, or by an error (`ec`; clear for an
  /// orderly close). Called exactly once after start(), and no handler is called after it.
  std::function<void(const boost::system::error_code& ec)> on_close;
};

/// Descriptive facts of a connection, for logs and the router's session details.
struct connection_info {
  std::string transport;   // "rawsocket", "websocket" or "inprocess"
  std::string serializer;  // "json", "msgpack" or "none" (in-process without serialization)
  std::string peer;        // e.g. "tcp4:127.0.0.1:51234", or "inprocess"
  std::string endpoint;    // the WebSocket path the client upgraded on; empty otherwise
};

/// Limits and timeouts shared by every transport.
struct transport_options {
  /// Largest message accepted or sent, encoded. RawSocket announces the next power of two
  /// at or below it (2^9..2^24) in its handshake.
  std::size_t max_message_size = default_max_message_size;
  /// Payload nesting limit for decoding.
  int max_depth = default_max_depth;
  /// Limit on the memory one received message's values take once decoded (an estimate,
  /// decode_limits::max_decoded_size): a message under max_message_size can still decode
  /// to ~50 times its size.
  std::size_t max_decoded_size = default_max_decoded_size;
  /// Bytes that may wait in the outgoing queue; past it send() fails with send_queue_full
  /// and the connection is closed (a peer that does not read must not hold our memory).
  std::size_t max_send_queue_bytes = std::size_t{64} << 20;
  /// Time allowed for the transport handshake (RawSocket octets, WebSocket upgrade).
  std::chrono::milliseconds handshake_timeout = std::chrono::seconds(10);
  /// A listener's accepted connections still in their transport handshake at once; more are
  /// closed as they are accepted (silent peers opening connections faster than
  /// handshake_timeout drops them must not take every file descriptor). 0: no limit.
  std::size_t max_pending_handshakes = 1000;
  /// TCP keepalive (RawSocket and WebSocket, both sides): after this long without traffic
  /// the kernel probes the peer every tcp_keepalive_interval, and after tcp_keepalive_probes
  /// unanswered probes the connection ends. A peer that vanished without closing (power
  /// loss, a cut network) is then noticed in about 2 minutes instead of never (an idle
  /// RawSocket connection) or at the next send's retransmission timeout (about 15 minutes).
  /// 0: off.
  std::chrono::seconds tcp_keepalive_idle = std::chrono::seconds(60);
  std::chrono::seconds tcp_keepalive_interval = std::chrono::seconds(10);
  int tcp_keepalive_probes = 5;
};

class connection {
 public:
  using executor_type = boost::asio::any_io_executor;

  virtual ~connection() = default;

  /// The executor every call must be made on and every handler runs on.
  virtual executor_type get_executor() const = 0;

  /// Begins delivering incoming messages to `handler`. Call exactly once.
  virtual void start(connection_handler handler) = 0;

  /// Encodes and queues `msg`. Returns an error, leaving the connection as it was, when the
  /// message cannot be encoded (invalid_utf8) or exceeds the size limit (message_too_large, also
  /// when over the limit the peer announced); returns not_connected after close. A
  /// send_queue_full error also closes the connection.
  virtual boost::system::error_code send(const message& msg) = 0;

  /// Orderly close: queued messages are flushed, then the transport's close handshake
  /// (WebSocket close frame, TCP shutdown). on_close follows. Idempotent.
  virtual void close() = 0;

  /// Drops the transport at once: nothing queued is sent, no close handshake. on_close
  /// follows. Idempotent.
  virtual void close_abruptly() = 0;

  virtual const connection_info& info() const noexcept = 0;

  // Hooks for the testing framework's transport faults (testing/faulty_connection.hpp). The
  // socket transports implement them on the wire; the defaults say what other transports do.

  /// Sends `msg` as send() does, but writes its bytes in pieces of at most `piece_bytes`
  /// (> 0): RawSocket writes the frame in that many separate writes; WebSocket sends a
  /// fragmented message (frames of at most `piece_bytes` payload). The peer reassembles it.
  /// Default: send(msg) (a transport without a byte stream has nothing to slice).
  virtual boost::system::error_code send_in_pieces(const message& msg, std::size_t piece_bytes) {
    (void)piece_bytes;
    return send(msg);
  }

  /// Writes only the first `bytes` bytes of `msg`'s encoding (RawSocket: behind a header
  /// announcing the whole length; WebSocket: as a first, unfinished fragment), then drops the
  /// transport: the peer sees a message cut short, then the end of the connection.
  /// Default: close_abruptly() (nothing of the message is delivered).
  virtual void send_cut_short(const message& msg, std::size_t bytes) {
    (void)msg;
    (void)bytes;
    close_abruptly();
  }

  /// Orderly close whose WebSocket close frame carries `code` and `reason` (the peer's
  /// on_close then reports websocket_close_category() error `code`, see websocket.hpp).
  /// Default: close() (transports without close codes close as they always do).
  virtual void close_with_code(std::uint16_t code, const std::string& reason) {
    (void)code;
    (void)reason;
    close();
  }
};

using connection_ptr = std::shared_ptr<connection>;

/// Called when a listener accepted a connection whose transport handshake succeeded.
using accept_handler = std::function<void(connection_ptr)>;

/// Called when a client-side connect finished: a connected, handshaken connection or an error.
using connect_handler = std::function<void(const boost::system::error_code&, connection_ptr)>;

}  // namespace autobahn_sync::wamp

// The part of a listener's accept loop every transport shares: what happens to an accepted
// socket before its transport handshake.
#pragma once

#include <utility>

#include <boost/asio/ip/tcp.hpp>

#include "wamp/transport/detail/accept_backoff.hpp"
#include "wamp/transport/detail/tcp_peer.hpp"
#include "wamp/transport/listener.hpp"

namespace autobahn_sync::wamp::detail {

enum class admission {
  serve,   // go on with the handshake, then accept the next
  closed,  // max_pending_handshakes were in progress: the socket is dropped; accept the next
  paused,  // the accept failed: `retry` runs after the backoff's pause
};

/// `options`: the listener's options (on_accept_error, on_handshake_limit, transport). Each
/// failure and each closed socket is reported through them.
template <class Options, class Retry>
admission admit_accepted(const boost::system::error_code& ec, const boost::asio::ip::tcp::socket& socket,
                         accept_backoff& backoff, const listener& l, const Options& options, Retry&& retry) {
  if (ec) {
    const auto pause = backoff.retry_later(std::forward<Retry>(retry));
    if (options.on_accept_error) options.on_accept_error(ec, pause);
    return admission::paused;
  }
  backoff.succeeded();
  if (l.handshakes_at_limit(options.transport.max_pending_handshakes)) {
    if (options.on_handshake_limit) options.on_handshake_limit(tcp_peer_name(socket));
    return admission::closed;
  }
  return admission::serve;
}

}  // namespace autobahn_sync::wamp::detail

// TCP keepalive on a connection's socket (transport_options::tcp_keepalive_idle): the kernel
// probes an idle peer, so one that vanished without closing (power loss, a cut network) ends
// the connection instead of holding its session forever. The probes are below WAMP: every
// peer answers them, whatever its RawSocket or WebSocket code does with pings.
#pragma once

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>

#include "wamp/transport/connection.hpp"

namespace autobahn_sync::wamp::detail {

/// Switches keepalive on as `options` say (nothing when tcp_keepalive_idle is 0). A socket
/// that refuses an option keeps the kernel's default for it: keepalive is a safety net, not
/// a reason to drop a connection.
inline void apply_tcp_keepalive(boost::asio::ip::tcp::socket& socket, const transport_options& options) {
  if (options.tcp_keepalive_idle.count() <= 0 || !socket.is_open()) return;
  boost::system::error_code ignored;
  socket.set_option(boost::asio::socket_base::keep_alive(true), ignored);
  const auto set = [&](int name, long long value) {
    const int v = static_cast<int>(std::max(1LL, value));
    ::setsockopt(socket.native_handle(), IPPROTO_TCP, name, &v, sizeof v);
  };
  set(TCP_KEEPIDLE, options.tcp_keepalive_idle.count());
  set(TCP_KEEPINTVL, options.tcp_keepalive_interval.count());
  set(TCP_KEEPCNT, options.tcp_keepalive_probes);
}

}  // namespace autobahn_sync::wamp::detail

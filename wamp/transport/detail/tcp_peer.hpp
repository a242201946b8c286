// The peer description of a TCP socket for connection_info: "tcp4:127.0.0.1:51234".
#pragma once

#include <string>

#include <boost/asio/ip/tcp.hpp>

namespace autobahn_sync::wamp::detail {

inline std::string tcp_peer_name(const boost::asio::ip::tcp::socket& socket) {
  boost::system::error_code ec;
  const auto ep = socket.remote_endpoint(ec);
  if (ec) return "tcp:unknown";
  return std::string(ep.address().is_v4() ? "tcp4:" : "tcp6:") + ep.address().to_string() + ":" +
         std::to_string(ep.port());
}

}  // namespace autobahn_sync::wamp::detail

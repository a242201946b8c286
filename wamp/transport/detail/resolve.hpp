// Resolves host:port for a client connection. A numeric address (127.0.0.1, ::1) skips the
// resolver: Asio's resolver starts a thread per io_context and calls getaddrinfo, which costs
// milliseconds on each new client.
#pragma once

#include <string>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>

namespace autobahn_sync::wamp::detail {

/// Calls `handler(error_code, tcp::resolver::results_type)` once, never inline.
template <class Handler>
void resolve_endpoints(boost::asio::ip::tcp::resolver& resolver, const std::string& host, unsigned short port,
                       Handler&& handler) {
  using boost::asio::ip::tcp;
  boost::system::error_code not_numeric;
  const auto address = boost::asio::ip::make_address(host, not_numeric);
  if (!not_numeric) {
    auto results = tcp::resolver::results_type::create(tcp::endpoint(address, port), host, std::to_string(port));
    boost::asio::post(resolver.get_executor(),
                      [h = std::forward<Handler>(handler), results]() mutable { h(boost::system::error_code{}, results); });
    return;
  }
  resolver.async_resolve(host, std::to_string(port), std::forward<Handler>(handler));
}

}  // namespace autobahn_sync::wamp::detail

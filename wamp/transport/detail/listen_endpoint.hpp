// The endpoint a listener binds for a host as users write it: a numeric address ("127.0.0.1",
// "::1", also in brackets as in a URL: "[::1]") as it is, a name ("localhost") resolved once,
// now, when the listener is made. A name with IPv4 addresses binds the first of them: most
// clients try "localhost" as 127.0.0.1 first. An unknown name throws boost::system::system_error
// that names the host.
#pragma once

#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/system_error.hpp>

namespace autobahn_sync::wamp::detail {

inline boost::asio::ip::tcp::endpoint listen_endpoint(const boost::asio::any_io_executor& executor,
                                                      std::string host, unsigned short port) {
  using boost::asio::ip::tcp;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  boost::system::error_code not_numeric;
  const auto address = boost::asio::ip::make_address(host, not_numeric);
  if (!not_numeric) return tcp::endpoint(address, port);
  tcp::resolver resolver(executor);
  boost::system::error_code ec;
  const auto results = resolver.resolve(host, std::to_string(port), tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    throw boost::system::system_error(ec ? ec : boost::asio::error::host_not_found,
                                      "cannot resolve the address to listen on '" + host + "'");
  }
  for (const auto& r : results) {
    if (r.endpoint().address().is_v4()) return r.endpoint();
  }
  return results.begin()->endpoint();
}

}  // namespace autobahn_sync::wamp::detail

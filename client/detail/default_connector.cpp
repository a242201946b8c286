#include "client/detail/default_connector.hpp"

#include <variant>
#include <memory>

#include <boost/asio/post.hpp>

#include "wamp/transport/rawsocket.hpp"
#include "wamp/transport/url.hpp"

namespace autobahn_sync::detail {
namespace {

/// RawSocket negotiates one serializer per connection: on "serializer unsupported" the next
/// preferred one is tried.
void rawsocket_connect(boost::asio::any_io_executor executor, wamp::endpoint_url url,
                       std::vector<wamp::serializer_kind> serializers,
                       wamp::transport_options transport, wamp::tls_client_config tls, std::size_t next,
                       wamp::connect_handler done) {
  const auto kind = serializers.at(next);
  auto on_done = [executor, url, serializers, transport, tls, next, done](const boost::system::error_code& ec,
                                                                          wamp::connection_ptr conn) {
    if (ec == wamp::errc::serializer_unsupported && next + 1 < serializers.size()) {
      return rawsocket_connect(executor, url, serializers, transport, tls, next + 1, done);
    }
    done(ec, std::move(conn));
  };
  if (url.tls) {
    wamp::async_rawsocket_connect(executor, url.host, url.port, kind, transport, tls, std::move(on_done));
  } else {
    wamp::async_rawsocket_connect(executor, url.host, url.port, kind, transport, std::move(on_done));
  }
}

}  // namespace

connector default_connector(const client_options& options) {
  auto serializers = options.serializers;
  if (serializers.empty()) serializers = {wamp::serializer_kind::json};
  auto transport = options.transport;
  auto tls = options.tls;
  return [serializers, transport, tls](boost::asio::any_io_executor executor, const std::string& url,
                                       wamp::connect_handler done) {
    auto parsed = wamp::parse_url(url);
    if (auto* endpoint = std::get_if<wamp::endpoint_url>(&parsed);
        endpoint && endpoint->transport == wamp::endpoint_url::kind::rawsocket) {
      return rawsocket_connect(executor, *endpoint, serializers, transport, tls, 0, done);
    }
    // WebSocket negotiates the serializer through its subprotocols; a bad URL is reported to
    // `done` as handshake_failed.
    wamp::async_connect(executor, url, serializers, transport, tls, std::move(done));
  };
}

}  // namespace autobahn_sync::detail

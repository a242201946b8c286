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
                       wamp::transport_options transport, std::size_t next,
                       wamp::connect_handler done) {
  const auto kind = serializers.at(next);
  wamp::async_rawsocket_connect(
      executor, url.host, url.port, kind, transport,
      [executor, url, serializers, transport, next, done](const boost::system::error_code& ec,
                                                          wamp::connection_ptr conn) {
        if (ec == wamp::errc::serializer_unsupported && next + 1 < serializers.size()) {
          return rawsocket_connect(executor, url, serializers, transport, next + 1, done);
        }
        done(ec, std::move(conn));
      });
}

}  // namespace

connector default_connector(const client_options& options) {
  auto serializers = options.serializers;
  if (serializers.empty()) serializers = {wamp::serializer_kind::json};
  auto transport = options.transport;
  return [serializers, transport](boost::asio::any_io_executor executor, const std::string& url,
                                  wamp::connect_handler done) {
    auto parsed = wamp::parse_url(url);
    if (auto* endpoint = std::get_if<wamp::endpoint_url>(&parsed);
        endpoint && endpoint->transport == wamp::endpoint_url::kind::rawsocket) {
      return rawsocket_connect(executor, *endpoint, serializers, transport, 0, done);
    }
    // WebSocket negotiates the serializer through its subprotocols; a bad or unsupported URL
    // (wss:// for now) is reported to `done` as handshake_failed.
    wamp::async_connect(executor, url, serializers, transport, std::move(done));
  };
}

}  // namespace autobahn_sync::detail

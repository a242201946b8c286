// Router URLs: `ws://host:port/path` (WebSocket), `rs://host:port` and `tcp://host:port`
// (RawSocket), parsed with clear errors, and `async_connect`, which picks the transport.
// `wss://` and `rss://` (TLS) are recognised and refused as not supported yet.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "wamp/transport/connection.hpp"

namespace autobahn_sync::wamp {

struct endpoint_url {
  enum class kind { websocket, rawsocket };
  kind transport = kind::websocket;
  std::string host;
  unsigned short port = 0;
  std::string path = "/";  // websocket only
};

/// The parsed URL, or a message saying what is wrong with it.
std::variant<endpoint_url, std::string> parse_url(const std::string& url);

/// Connects to `url` (any form parse_url accepts). WebSocket offers the serializers of
/// `preference` in order; RawSocket uses the first. A bad URL is reported to `done` as
/// handshake_failed (the error text is in parse_url's result).
void async_connect(connection::executor_type executor, const std::string& url,
                   std::vector<serializer_kind> preference, transport_options options, connect_handler done);

}  // namespace autobahn_sync::wamp

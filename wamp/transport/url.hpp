// Router URLs: `ws://host:port/path` (WebSocket), `rs://host:port` and `tcp://host:port`
// (RawSocket), and their TLS forms `wss://host:port/path` and `rss://host:port` (also
// `rs+tls://`), parsed with clear errors; and `async_connect`, which picks the transport.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "wamp/transport/connection.hpp"
#include "wamp/transport/tls_config.hpp"

namespace autobahn_sync::wamp {

struct endpoint_url {
  enum class kind { websocket, rawsocket };
  kind transport = kind::websocket;
  std::string host;
  unsigned short port = 0;
  std::string path = "/";  // websocket only
  bool tls = false;        // wss://, rss://, rs+tls://
};

/// The parsed URL, or a message saying what is wrong with it.
std::variant<endpoint_url, std::string> parse_url(const std::string& url);

/// Connects to `url` (any form parse_url accepts). WebSocket offers the serializers of
/// `preference` in order; RawSocket uses the first. A bad URL is reported to `done` as
/// handshake_failed (the error text is in parse_url's result). A TLS URL checks the server
/// as `tls` says (tls.hpp); the overload without it verifies against the system's CAs.
void async_connect(connection::executor_type executor, const std::string& url,
                   std::vector<serializer_kind> preference, transport_options options, connect_handler done);
void async_connect(connection::executor_type executor, const std::string& url,
                   std::vector<serializer_kind> preference, transport_options options,
                   const tls_client_config& tls, connect_handler done);

}  // namespace autobahn_sync::wamp

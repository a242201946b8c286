// The router side of a WebSocket upgrade without I/O: whether an HTTP request (as Beast's
// parser produced it) may become a WAMP WebSocket, on which path and with which serializer,
// or the HTTP refusal to send. websocket.cpp reads the request and applies the decision; the
// fuzz targets (testing/fuzz) feed it whatever Beast's parser makes of arbitrary bytes.
//
// Thread safety: stateless; may be called from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>

#include "wamp/serializer.hpp"

namespace autobahn_sync::wamp {

struct websocket_upgrade_decision {
  /// ok when the upgrade may proceed; else the status of the refusal (404 for another path,
  /// 400 for no upgrade or no agreeable subprotocol).
  boost::beast::http::status status = boost::beast::http::status::ok;
  std::string refusal_body;            // the plain-text reason sent with a refusal
  const serializer* chosen = nullptr;  // set when accepted
  std::string endpoint;                // the path, when accepted
};

/// Decides on `request`: its target must be one of `paths`, it must be a WebSocket upgrade,
/// and its Sec-WebSocket-Protocol (one line or several) must offer one of `serializers`: the
/// client's first offer that is accepted wins, as with AutobahnPython's and Crossbar.io's
/// servers.
websocket_upgrade_decision check_websocket_upgrade(
    const boost::beast::http::request<boost::beast::http::string_body>& request,
    const std::vector<std::string>& paths, const std::vector<serializer_kind>& serializers);

/// The comma-separated tokens of a header value, trimmed of spaces and tabs.
std::vector<std::string> header_tokens(std::string_view value);

/// The subprotocols `request` offers, in order: the tokens of all its Sec-WebSocket-Protocol
/// lines, which together are one list (RFC 6455, 11.3.4).
std::vector<std::string> offered_subprotocols(
    const boost::beast::http::request<boost::beast::http::string_body>& request);

}  // namespace autobahn_sync::wamp

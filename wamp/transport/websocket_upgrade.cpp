#include "wamp/transport/websocket_upgrade.hpp"

#include <algorithm>

#include <boost/beast/websocket/rfc6455.hpp>

namespace http = boost::beast::http;

namespace autobahn_sync::wamp {

std::vector<std::string> header_tokens(std::string_view value) {
  std::vector<std::string> out;
  while (!value.empty()) {
    const auto comma = value.find(',');
    auto token = value.substr(0, comma);
    while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) token.remove_prefix(1);
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
    if (!token.empty()) out.emplace_back(token);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return out;
}

std::vector<std::string> offered_subprotocols(const http::request<http::string_body>& request) {
  std::vector<std::string> offered;
  const auto [first_line, end_of_lines] = request.equal_range(http::field::sec_websocket_protocol);
  for (auto line = first_line; line != end_of_lines; ++line)
    for (auto& token : header_tokens(line->value())) offered.push_back(std::move(token));
  return offered;
}

websocket_upgrade_decision check_websocket_upgrade(const http::request<http::string_body>& request,
                                                   const std::vector<std::string>& paths,
                                                   const std::vector<serializer_kind>& serializers) {
  websocket_upgrade_decision d;
  const std::string_view target = request.target();
  const auto wanted = target.substr(0, target.find('?'));  // "/ws?token=..." is "/ws"
  auto path = std::find(paths.begin(), paths.end(), wanted);
  if (path == paths.end()) path = std::find(paths.begin(), paths.end(), "*");
  if (path == paths.end()) {
    d.status = http::status::not_found;
    d.refusal_body = "no WAMP endpoint here\n";
    return d;
  }
  if (!boost::beast::websocket::is_upgrade(request)) {
    d.status = http::status::bad_request;
    d.refusal_body = "a WebSocket upgrade is expected\n";
    return d;
  }
  for (const auto& offered : offered_subprotocols(request)) {
    const serializer* s = find_serializer(offered);
    if (s && std::find(serializers.begin(), serializers.end(), s->kind()) != serializers.end()) {
      d.chosen = s;
      d.endpoint = *path;
      return d;
    }
  }
  d.status = http::status::bad_request;
  d.refusal_body = "no agreeable WAMP subprotocol: offer wamp.2.json or wamp.2.msgpack in Sec-WebSocket-Protocol\n";
  return d;
}

}  // namespace autobahn_sync::wamp

#include "wamp/transport/url.hpp"

#include <boost/asio/post.hpp>

#include "wamp/transport/rawsocket.hpp"
#include "wamp/transport/websocket.hpp"

namespace autobahn_sync::wamp {

std::variant<endpoint_url, std::string> parse_url(const std::string& url) {
  endpoint_url out;
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos)
    return "\"" + url + "\" is not a URL: expected ws://host:port/path, wss://host:port/path, rs://host:port or rss://host:port";
  const std::string scheme = url.substr(0, scheme_end);
  if (scheme == "ws" || scheme == "wss") {
    out.transport = endpoint_url::kind::websocket;
  } else if (scheme == "rs" || scheme == "tcp" || scheme == "rss" || scheme == "rs+tls") {
    out.transport = endpoint_url::kind::rawsocket;
  } else {
    return "unknown URL scheme \"" + scheme + "\": use ws://, wss://, rs://, rss:// or tcp://";
  }
  out.tls = scheme == "wss" || scheme == "rss" || scheme == "rs+tls";
  std::string rest = url.substr(scheme_end + 3);
  const auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  if (slash != std::string::npos) out.path = rest.substr(slash);
  if (out.transport == endpoint_url::kind::rawsocket && slash != std::string::npos && out.path != "/")
    return "a RawSocket URL has no path: " + url;
  std::string port_text;
  if (!authority.empty() && authority.front() == '[') {  // [IPv6]:port
    const auto close = authority.find(']');
    if (close == std::string::npos) return "unclosed [ in " + url;
    out.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return "expected :port after ] in " + url;
      port_text = authority.substr(close + 2);
    }
  } else {
    const auto colon = authority.rfind(':');
    out.host = authority.substr(0, colon);
    if (colon != std::string::npos) port_text = authority.substr(colon + 1);
  }
  if (out.host.empty()) return "no host in " + url;
  if (port_text.empty()) {
    if (out.transport == endpoint_url::kind::rawsocket) return "a RawSocket URL needs a port: " + url;
    out.port = out.tls ? 443 : 80;
  } else {
    if (port_text.size() > 5 || port_text.find_first_not_of("0123456789") != std::string::npos)
      return "bad port \"" + port_text + "\" in " + url;
    const unsigned long port = std::stoul(port_text);
    if (port == 0 || port > 65535) return "port out of range in " + url;
    out.port = static_cast<unsigned short>(port);
  }
  return out;
}

void async_connect(connection::executor_type executor, const std::string& url,
                   std::vector<serializer_kind> preference, transport_options options, connect_handler done) {
  async_connect(std::move(executor), url, std::move(preference), options, tls_client_config{}, std::move(done));
}

void async_connect(connection::executor_type executor, const std::string& url,
                   std::vector<serializer_kind> preference, transport_options options,
                   const tls_client_config& tls, connect_handler done) {
  const auto parsed = parse_url(url);
  if (std::holds_alternative<std::string>(parsed)) {
    boost::asio::post(executor, [done] { done(make_error_code(errc::handshake_failed), nullptr); });
    return;
  }
  const auto& u = std::get<endpoint_url>(parsed);
  if (preference.empty()) preference = {serializer_kind::json, serializer_kind::msgpack};
  if (u.transport == endpoint_url::kind::websocket) {
    if (u.tls) {
      async_websocket_connect(std::move(executor), u.host, u.port, u.path, std::move(preference), options, tls,
                              std::move(done));
    } else {
      async_websocket_connect(std::move(executor), u.host, u.port, u.path, std::move(preference), options,
                              std::move(done));
    }
  } else if (u.tls) {
    async_rawsocket_connect(std::move(executor), u.host, u.port, preference.front(), options, tls, std::move(done));
  } else {
    async_rawsocket_connect(std::move(executor), u.host, u.port, preference.front(), options, std::move(done));
  }
}

}  // namespace autobahn_sync::wamp

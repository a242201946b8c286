#include "docs/examples/http_service/http_service.hpp"

#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace example {
namespace http = boost::beast::http;
namespace wamp = autobahn_sync::wamp;
using boost::asio::ip::tcp;

namespace {

using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

// The value of `name` in the query string of `target`, if present (no %-decoding: numbers).
std::optional<std::string> query_param(std::string_view target, std::string_view name) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const auto pair = rest.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name && eq != std::string_view::npos) return std::string(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return std::nullopt;
}

response reply(const request& req, http::status status, const wamp::value& body) {
  response res{status, req.version()};
  res.set(http::field::content_type, "application/json");
  res.keep_alive(false);
  res.body() = body.dump();
  res.prepare_payload();
  return res;
}

response add(autobahn_sync::AutobahnSync& app, const request& req) {
  const auto a = query_param(req.target(), "a"), b = query_param(req.target(), "b");
  const auto parse = [](const std::optional<std::string>& s) {
    return s ? wamp::value::parse(*s, nullptr, false) : wamp::value(wamp::value::value_t::discarded);
  };
  const auto x = parse(a), y = parse(b);
  if (!x.is_number() || !y.is_number()) return reply(req, http::status::bad_request, {{"error", "a and b must be numbers"}});
  const auto result = app.session().call("com.example.add", {x, y});
  return reply(req, http::status::ok, {{"result", result.value()}});
}

response publish(autobahn_sync::AutobahnSync& app, const request& req, const std::string& topic) {
  const auto args = wamp::value::parse(req.body(), nullptr, false);
  if (!args.is_array()) return reply(req, http::status::bad_request, {{"error", "the body must be a JSON list"}});
  autobahn_sync::publish_options ack;
  ack.acknowledge = true;
  const auto id = app.session().publish(topic, args.get<wamp::list>(), {}, ack);
  return reply(req, http::status::accepted, {{"publication", *id}});
}

response handle(autobahn_sync::AutobahnSync& app, const request& req) {
  const std::string target(req.target());
  try {
    if (req.method() == http::verb::get && target.rfind("/add?", 0) == 0) return add(app, req);
    if (req.method() == http::verb::post && target.rfind("/events/", 0) == 0)
      return publish(app, req, target.substr(8));
    return reply(req, http::status::not_found, {{"error", "no such route"}});
  } catch (const autobahn_sync::NotAuthorized& e) {
    return reply(req, http::status::forbidden, {{"error", e.error()}});
  } catch (const autobahn_sync::ApplicationError& e) {
    return reply(req, http::status::bad_gateway, {{"error", e.error()}, {"args", e.args()}, {"kwargs", e.kwargs()}});
  } catch (const autobahn_sync::Error& e) {
    // TransportLost, NotRunningError, SessionNotReady: the router is not reachable now.
    return reply(req, http::status::service_unavailable, {{"error", e.what()}});
  }
}

}  // namespace

http_service::http_service(autobahn_sync::AutobahnSync& wamp, const std::string& host, unsigned short port)
    : wamp_(wamp), acceptor_(io_, tcp::endpoint(boost::asio::ip::make_address(host), port)) {
  port_ = acceptor_.local_endpoint().port();
  accept();
  thread_ = std::thread([this] { io_.run(); });
}

http_service::~http_service() {
  boost::asio::post(io_, [this] { acceptor_.close(); });
  thread_.join();
}

void http_service::accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    if (ec) return;  // closed: the service stops
    serve(std::move(socket));
    accept();
  });
}

// One request per connection, served synchronously: handlers are blocking code.
void http_service::serve(tcp::socket socket) {
  boost::beast::flat_buffer buffer;
  request req;
  boost::system::error_code ec;
  http::read(socket, buffer, req, ec);
  if (ec) return;
  auto res = handle(wamp_, req);
  http::write(socket, res, ec);
  socket.shutdown(tcp::socket::shutdown_both, ec);
}

}  // namespace example

// WebSocket over real loopback sockets: subprotocol negotiation, refusals, limits, closing;
// and URL parsing with connect-by-URL.
#include "wamp/transport/websocket.hpp"

#include <array>
#include <functional>
#include <memory>
#include <thread>

#include <boost/asio/read_until.hpp>

#include <catch2/catch.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "wamp/transport/rawsocket.hpp"
#include "wamp/transport/test/socket_test_support.hpp"
#include "wamp/transport/url.hpp"

namespace wamp = autobahn_sync::wamp;
namespace asio = boost::asio;
using wamp::test::run_until;

namespace {

struct server {
  std::shared_ptr<wamp::websocket_listener> listener;
  std::vector<wamp::connection_ptr> accepted;
  wamp::test::connection_events events;
  bool echo = true;

  explicit server(asio::io_context& io, wamp::websocket_listener_options options = {}) {
    listener = wamp::websocket_listener::create(io.get_executor(), "127.0.0.1", 0, options);
    listener->start([this](wamp::connection_ptr c) {
      accepted.push_back(c);
      auto handler = events.handler();
      auto on_message = handler.on_message;
      handler.on_message = [this, on_message, weak = std::weak_ptr<wamp::connection>(c)](wamp::message&& m) {
        if (auto c = weak.lock(); c && echo) c->send(m);
        on_message(std::move(m));
      };
      c->start(std::move(handler));
    });
  }
};

struct connect_result {
  bool done = false;
  boost::system::error_code ec;
  wamp::connection_ptr connection;
};

connect_result connect(asio::io_context& io, const std::string& url,
                       std::vector<wamp::serializer_kind> preference = {}, wamp::transport_options options = {}) {
  connect_result r;
  wamp::async_connect(io.get_executor(), url, preference, options,
                      [&](const boost::system::error_code& ec, wamp::connection_ptr c) {
                        r.done = true;
                        r.ec = ec;
                        r.connection = std::move(c);
                      });
  REQUIRE(run_until(io, [&] { return r.done; }));
  return r;
}

std::string ws_url(const server& s, const std::string& path = "/ws") {
  return "ws://127.0.0.1:" + std::to_string(s.listener->port()) + path;
}

std::string http_exchange(unsigned short port, const std::string& request) {
  asio::io_context io;
  wamp::test::raw_client c(io, port);
  c.write(request);
  std::string reply;
  boost::system::error_code ec;
  std::array<char, 1024> chunk;
  while (true) {
    const auto n = c.socket().read_some(asio::buffer(chunk), ec);
    reply.append(chunk.data(), n);
    if (ec) break;
  }
  return reply;
}

}  // namespace

TEST_CASE("WebSocket echo with each subprotocol, in text or binary frames", "[integration]") {
  const auto kind = GENERATE(wamp::serializer_kind::json, wamp::serializer_kind::msgpack);
  asio::io_context io;
  server s(io);
  auto r = connect(io, ws_url(s), {kind});
  REQUIRE_FALSE(r.ec);
  wamp::test::connection_events client;
  r.connection->start(client.handler());
  CHECK(r.connection->info().transport == "websocket");
  CHECK(r.connection->info().serializer == (kind == wamp::serializer_kind::json ? "json" : "msgpack"));
  const wamp::message msg = wamp::event{1, 2, {}, {"é", wamp::value::binary({0, 1, 255})}, {{"k", nullptr}}};
  for (int i = 0; i < 20; ++i) REQUIRE_FALSE(r.connection->send(msg));
  REQUIRE(run_until(io, [&] { return client.messages.size() == 20; }));
  CHECK(client.messages[19] == msg);
}

TEST_CASE("WebSocket connections have TCP keepalive as their options say", "[integration]") {
  asio::io_context io;
  wamp::websocket_listener_options options;
  options.transport.tcp_keepalive_idle = std::chrono::seconds(0);
  server s(io, options);
  wamp::transport_options client_options;
  client_options.tcp_keepalive_idle = std::chrono::seconds(30);
  auto r = connect(io, ws_url(s), {}, client_options);
  REQUIRE_FALSE(r.ec);
  REQUIRE(run_until(io, [&] { return s.accepted.size() == 1; }));
  const auto client_port = wamp::test::port_of_peer(s.accepted[0]->info().peer);
  const auto client_side = wamp::test::tcp_timer_of(client_port, s.listener->port());
  CHECK(client_side.kind == 2);  // keepalive, due within 30 s
  CHECK(client_side.ticks > 2800);
  CHECK(client_side.ticks <= 3000);
  CHECK(wamp::test::tcp_timer_of(s.listener->port(), client_port).kind == 0);
}

TEST_CASE("out of file descriptors, the WebSocket listener pauses between accepts and says so", "[integration]") {
  using namespace std::chrono_literals;
  asio::io_context io;
  wamp::websocket_listener_options options;
  std::vector<std::chrono::milliseconds> pauses;
  std::vector<boost::system::error_code> errors;
  // Only recorded here: checks wait until descriptors are free (UBSan's own checks need one).
  options.on_accept_error = [&](const boost::system::error_code& ec, std::chrono::milliseconds pause) {
    errors.push_back(ec);
    pauses.push_back(pause);
  };
  server s(io, options);
  wamp::test::raw_client waiting(io, s.listener->port());  // in the listen backlog
  {
    wamp::test::no_free_descriptors starved;
    io.run_for(200ms);  // retrying at once would fail thousands of times in this while
  }
  REQUIRE_FALSE(pauses.empty());
  CHECK(pauses.size() <= 8);
  CHECK(pauses[0] == 5ms);
  CHECK(errors[0] == asio::error::no_descriptors);
  REQUIRE(run_until(io, [&] { return s.listener->handshakes_in_progress() == 1; }));
}

TEST_CASE("the server picks the first subprotocol the client offers that it accepts", "[integration]") {
  asio::io_context io;
  wamp::websocket_listener_options options;
  options.serializers = {wamp::serializer_kind::msgpack};
  server s(io, options);
  auto r = connect(io, ws_url(s), {wamp::serializer_kind::json, wamp::serializer_kind::msgpack});
  REQUIRE_FALSE(r.ec);
  CHECK(r.connection->info().serializer == "msgpack");
  CHECK(connect(io, ws_url(s), {wamp::serializer_kind::json}).ec == wamp::errc::serializer_unsupported);
}

TEST_CASE("a Sec-WebSocket-Protocol offer over several header lines is one list", "[integration]") {
  asio::io_context io;
  server s(io);
  std::string reply;
  wamp::test::client_thread t([&] {
    asio::io_context client_io;
    wamp::test::raw_client c(client_io, s.listener->port());
    c.write("GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nHost: x\r\n"
            "Sec-WebSocket-Protocol: wamp.2.cbor\r\nSec-WebSocket-Protocol: wamp.2.json\r\n\r\n");
    boost::system::error_code ec;
    std::array<char, 1024> chunk;
    while (reply.find("\r\n\r\n") == std::string::npos && !ec) {
      reply.append(chunk.data(), c.socket().read_some(asio::buffer(chunk), ec));
    }
  });
  REQUIRE(run_until(io, [&] { return t.done() && s.accepted.size() == 1; }));
  t.join();
  CHECK(reply.rfind("HTTP/1.1 101", 0) == 0);
  CHECK(reply.find("Sec-WebSocket-Protocol: wamp.2.json\r\n") != std::string::npos);
  CHECK(s.accepted[0]->info().serializer == "json");
}

TEST_CASE("a client connecting to an IPv6 address sends it bracketed in the Host header", "[integration]") {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("::1"), 0});
  asio::ip::tcp::socket peer(io);
  std::string request;
  std::array<char, 1024> chunk;
  std::function<void()> read_more = [&] {
    peer.async_read_some(asio::buffer(chunk), [&](const boost::system::error_code& ec, std::size_t n) {
      request.append(chunk.data(), n);
      if (!ec && request.find("\r\n\r\n") == std::string::npos) read_more();
    });
  };
  acceptor.async_accept(peer, [&](const boost::system::error_code& ec) {
    if (!ec) read_more();
  });
  const auto port = std::to_string(acceptor.local_endpoint().port());
  bool done = false;
  wamp::async_connect(io.get_executor(), "ws://[::1]:" + port + "/ws", {}, {},
                      [&](const boost::system::error_code&, wamp::connection_ptr) { done = true; });
  REQUIRE(run_until(io, [&] { return request.find("\r\n\r\n") != std::string::npos; }));
  CHECK(request.find("\r\nHost: [::1]:" + port + "\r\n") != std::string::npos);
  peer.close();  // no answer: the client's handshake fails
  REQUIRE(run_until(io, [&] { return done; }));
}

TEST_CASE("upgrades without an agreeable subprotocol or on another path are refused", "[integration]") {
  asio::io_context io;
  server s(io);
  std::string no_protocol, wrong_path;
  wamp::test::client_thread t([&] {
    const std::string upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nHost: x\r\n";
    no_protocol = http_exchange(s.listener->port(), "GET /ws HTTP/1.1\r\n" + upgrade +
                                                        "Sec-WebSocket-Protocol: wamp.2.cbor\r\n\r\n");
    wrong_path = http_exchange(s.listener->port(), "GET /other HTTP/1.1\r\n" + upgrade +
                                                       "Sec-WebSocket-Protocol: wamp.2.json\r\n\r\n");
  });
  run_until(io, [&] { return t.done(); });
  t.join();
  CHECK(no_protocol.rfind("HTTP/1.1 400", 0) == 0);
  CHECK(no_protocol.find("wamp.2.json") != std::string::npos);
  CHECK(wrong_path.rfind("HTTP/1.1 404", 0) == 0);
  CHECK(connect(io, ws_url(s, "/other")).ec == wamp::errc::handshake_failed);
  CHECK(s.accepted.empty());
}

TEST_CASE("WebSocket messages near the limit pass; bigger ones are refused", "[integration]") {
  asio::io_context io;
  wamp::websocket_listener_options options;
  options.transport.max_message_size = 64 * 1024;
  server s(io, options);
  auto r = connect(io, ws_url(s), {wamp::serializer_kind::msgpack});
  REQUIRE_FALSE(r.ec);
  wamp::test::connection_events client;
  r.connection->start(client.handler());
  const wamp::message fits = wamp::call{1, {}, "p", {std::string(60 * 1024, 'x')}};
  REQUIRE_FALSE(r.connection->send(fits));
  REQUIRE(run_until(io, [&] { return client.messages.size() == 1; }));
  // The client's own limit is the default 16 MiB: the server's refusal closes its connection.
  REQUIRE_FALSE(r.connection->send(wamp::call{2, {}, "p", {std::string(70 * 1024, 'x')}}));
  REQUIRE(run_until(io, [&] { return s.events.closes.size() == 1 && client.closes.size() == 1; }));
  CHECK(s.events.closes[0] == wamp::errc::message_too_large);
  CHECK(client.closes[0]);
}

TEST_CASE("close performs the WebSocket close handshake", "[integration]") {
  asio::io_context io;
  server s(io);
  auto r = connect(io, ws_url(s));
  REQUIRE_FALSE(r.ec);
  wamp::test::connection_events client;
  r.connection->start(client.handler());
  for (wamp::id i = 1; i <= 5; ++i) REQUIRE_FALSE(r.connection->send(wamp::publish{i, {}, "t"}));
  r.connection->close();
  CHECK(r.connection->send(wamp::publish{9, {}, "t"}) == wamp::errc::not_connected);
  REQUIRE(run_until(io, [&] { return s.events.closes.size() == 1 && client.closes.size() == 1; }));
  CHECK(s.events.messages.size() == 5);
  CHECK_FALSE(s.events.closes[0]);
  CHECK_FALSE(client.closes[0]);
}

TEST_CASE("an abrupt close is an error for the peer", "[integration]") {
  asio::io_context io;
  server s(io);
  auto r = connect(io, ws_url(s));
  REQUIRE_FALSE(r.ec);
  wamp::test::connection_events client;
  r.connection->start(client.handler());
  REQUIRE(run_until(io, [&] { return s.accepted.size() == 1; }));
  r.connection->close_abruptly();
  REQUIRE(run_until(io, [&] { return s.events.closes.size() == 1 && client.closes.size() == 1; }));
  CHECK(s.events.closes[0]);
}

TEST_CASE("URLs are parsed with clear errors", "[unit]") {
  auto ok = [](const std::string& url) { return std::get<wamp::endpoint_url>(wamp::parse_url(url)); };
  auto error = [](const std::string& url) { return std::get<std::string>(wamp::parse_url(url)); };
  const auto ws = ok("ws://127.0.0.1:8080/ws");
  CHECK(ws.transport == wamp::endpoint_url::kind::websocket);
  CHECK(ws.host == "127.0.0.1");
  CHECK(ws.port == 8080);
  CHECK(ws.path == "/ws");
  CHECK(ok("ws://example.com").port == 80);
  CHECK(ok("ws://example.com").path == "/");
  CHECK(ok("rs://localhost:9000").transport == wamp::endpoint_url::kind::rawsocket);
  CHECK(ok("tcp://[::1]:9000").host == "::1");
  CHECK_FALSE(ws.tls);
  CHECK(ok("wss://example.com/ws").tls);
  CHECK(ok("wss://example.com/ws").port == 443);
  CHECK(ok("rss://127.0.0.1:9000").tls);
  CHECK(ok("rs+tls://127.0.0.1:9000").transport == wamp::endpoint_url::kind::rawsocket);
  CHECK(error("rss://host").find("needs a port") != std::string::npos);
  CHECK(error("http://x").find("unknown URL scheme") != std::string::npos);
  CHECK(error("127.0.0.1:8080").find("not a URL") != std::string::npos);
  CHECK(error("rs://host").find("needs a port") != std::string::npos);
  CHECK(error("ws://host:99999/ws").find("port") != std::string::npos);
  CHECK(error("ws://:80/ws").find("no host") != std::string::npos);
}

TEST_CASE("connect by URL reaches RawSocket too", "[integration]") {
  asio::io_context io;
  auto listener = wamp::rawsocket_listener::create(io.get_executor(), "127.0.0.1", 0);
  std::vector<wamp::connection_ptr> accepted;
  listener->start([&](wamp::connection_ptr c) { accepted.push_back(c); });
  auto r = connect(io, "rs://127.0.0.1:" + std::to_string(listener->port()), {wamp::serializer_kind::msgpack});
  REQUIRE_FALSE(r.ec);
  CHECK(r.connection->info().transport == "rawsocket");
  CHECK(r.connection->info().serializer == "msgpack");
  CHECK(connect(io, "bogus").ec == wamp::errc::handshake_failed);
}

TEST_CASE("close_with_code: the peer's on_close reports the close code", "[integration]") {
  asio::io_context io;
  server s(io);
  auto r = connect(io, ws_url(s));
  REQUIRE_FALSE(r.ec);
  wamp::test::connection_events client;
  r.connection->start(client.handler());
  REQUIRE(run_until(io, [&] { return s.accepted.size() == 1; }));
  const bool server_closes = GENERATE(true, false);
  const std::uint16_t code = server_closes ? 1001 : 4001;
  (server_closes ? s.accepted[0] : r.connection)->close_with_code(code, "testing");
  REQUIRE(run_until(io, [&] { return s.events.closes.size() == 1 && client.closes.size() == 1; }));
  const auto& seen_by_peer = server_closes ? client.closes[0] : s.events.closes[0];
  CHECK(seen_by_peer == boost::system::error_code(code, wamp::websocket_close_category()));
  CHECK_THAT(seen_by_peer.message(), Catch::Contains(std::to_string(code)));
  if (server_closes) CHECK_THAT(seen_by_peer.message(), Catch::Contains("going away"));
  // The peer answers with the same code (RFC 6455 5.5.1), so the closing end reports it too.
  const auto& seen_by_closer = server_closes ? s.events.closes[0] : client.closes[0];
  CHECK(seen_by_closer == boost::system::error_code(code, wamp::websocket_close_category()));
}

TEST_CASE("close_with_code 1000 (normal) is an orderly close for both ends", "[integration]") {
  asio::io_context io;
  server s(io);
  auto r = connect(io, ws_url(s));
  REQUIRE_FALSE(r.ec);
  wamp::test::connection_events client;
  r.connection->start(client.handler());
  r.connection->close_with_code(1000, "done");
  REQUIRE(run_until(io, [&] { return s.events.closes.size() == 1 && client.closes.size() == 1; }));
  CHECK_FALSE(s.events.closes[0]);
  CHECK_FALSE(client.closes[0]);
}

TEST_CASE("send_in_pieces sends a fragmented message that the peer reassembles", "[integration]") {
  namespace beast = boost::beast;
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::address_v4::loopback(), 0});
  const wamp::message msg = wamp::publish{7, {}, "com.example.sliced", {"a payload of some length"}};
  std::size_t reads = 0;
  std::string payload;
  // A plain Beast server: each read_some returns data of one frame at most.
  wamp::test::client_thread peer([&] {
    auto socket = acceptor.accept();
    beast::websocket::stream<asio::ip::tcp::socket> ws(std::move(socket));
    ws.set_option(beast::websocket::stream_base::decorator([](beast::websocket::response_type& res) {
      res.set(beast::http::field::sec_websocket_protocol, "wamp.2.json");
    }));
    ws.accept();
    beast::flat_buffer buffer;
    do {
      ws.read_some(buffer, 0);
      ++reads;
    } while (!ws.is_message_done());
    payload = beast::buffers_to_string(buffer.data());
    beast::error_code ignored;
    ws.close(beast::websocket::close_code::normal, ignored);
  });
  auto r = connect(io, "ws://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/ws",
                   {wamp::serializer_kind::json});
  REQUIRE_FALSE(r.ec);
  wamp::test::connection_events client;
  r.connection->start(client.handler());
  REQUIRE_FALSE(r.connection->send_in_pieces(msg, 8));
  REQUIRE(run_until(io, [&] { return peer.done(); }));
  peer.join();
  std::string expected;
  REQUIRE_FALSE(wamp::json_serializer().encode(msg, expected));
  CHECK(payload == expected);
  CHECK(reads >= (expected.size() + 7) / 8);  // one frame per piece
  REQUIRE(run_until(io, [&] { return client.closes.size() == 1; }));
}

TEST_CASE("send_cut_short leaves the peer an unfinished message, then drops the connection", "[integration]") {
  asio::io_context io;
  server s(io);
  auto r = connect(io, ws_url(s));
  REQUIRE_FALSE(r.ec);
  wamp::test::connection_events client;
  r.connection->start(client.handler());
  r.connection->send_cut_short(wamp::publish{7, {}, "com.example.cut", {"never whole"}}, 5);
  REQUIRE(run_until(io, [&] { return s.events.closes.size() == 1 && client.closes.size() == 1; }));
  CHECK(s.events.messages.empty());
  CHECK(s.events.closes[0]);  // an error, not an orderly close
}

namespace {

// A plain Beast WebSocket server on its own thread, speaking wamp.2.json: `body` runs on the
// accepted stream. Its sockets have an io_context of their own, so that their readiness never
// shows in the client's. `receive_buffer` (bytes), if given, shrinks its socket's receive
// buffer, so that a client sending much finds its socket full.
using beast_ws = boost::beast::websocket::stream<asio::ip::tcp::socket>;

class beast_server {
 public:
  explicit beast_server(std::function<void(beast_ws&)> body, int receive_buffer = 0)
      : thread_([this, body = std::move(body), receive_buffer] {
          if (receive_buffer > 0) acceptor_.set_option(asio::socket_base::receive_buffer_size(receive_buffer));
          namespace beast = boost::beast;
          try {
            beast_ws ws(acceptor_.accept());
            ws.set_option(beast::websocket::stream_base::decorator([](beast::websocket::response_type& res) {
              res.set(beast::http::field::sec_websocket_protocol, "wamp.2.json");
            }));
            ws.accept();
            body(ws);
            if (ws.is_open()) ws.close(beast::websocket::close_code::normal);
          } catch (const std::exception& e) {
            failure_ = e.what();
          }
        }) {}
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/ws"; }
  bool done() const { return thread_.done(); }
  // Joins the thread; what failed there (empty: nothing).
  std::string join() {
    thread_.join();
    return failure_;
  }

 private:
  std::string failure_;
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_{io_, {asio::ip::address_v4::loopback(), 0}};
  wamp::test::client_thread thread_;
};

std::string json_of(const wamp::message& msg) {
  std::string bytes;
  REQUIRE_FALSE(wamp::json_serializer().encode(msg, bytes));
  return bytes;
}

}  // namespace

TEST_CASE("a message the socket takes at once is written without a turn of the I/O thread", "[integration]") {
  // A client's CALL, sent from the caller's thread, then leaves without waking the client's
  // I/O thread for the write's completion.
  asio::io_context io;
  std::string received;
  boost::system::error_code after;
  beast_server peer([&](beast_ws& ws) {
    boost::beast::flat_buffer buffer;
    ws.read(buffer);
    received = boost::beast::buffers_to_string(buffer.data());
    ws.read(buffer, after);  // sends nothing until the client closes
  });
  auto r = connect(io, peer.url(), {wamp::serializer_kind::json});
  REQUIRE_FALSE(r.ec);
  wamp::test::connection_events client;
  r.connection->start(client.handler());
  io.restart();
  while (io.poll() > 0) {
  }  // what the handshake left behind
  const wamp::message msg = wamp::publish{7, {}, "com.example.eager", {"sent at once"}};
  REQUIRE_FALSE(r.connection->send(msg));
  io.restart();
  CHECK(io.poll() == 0);  // the write completed inside send(): nothing was posted
  r.connection->close();
  REQUIRE(run_until(io, [&] { return peer.done() && client.closes.size() == 1; }));
  CHECK(peer.join().empty());
  CHECK(received == json_of(msg));
  CHECK(after == boost::beast::websocket::error::closed);
  CHECK_FALSE(client.closes[0]);
}

TEST_CASE("large messages sent back to back arrive whole and in order, with the peer's pings answered between them",
          "[integration]") {
  // More than the socket takes at once (the peer's receive buffer is small): writes end part
  // inline, part asynchronously, while Beast answers the peer's pings on the same stream.
  constexpr int count = 8;
  asio::io_context io;
  std::vector<std::string> received;
  int pongs = 0;
  beast_server peer([&](beast_ws& ws) {
    ws.control_callback([&](boost::beast::websocket::frame_type kind, boost::beast::string_view) {
      if (kind == boost::beast::websocket::frame_type::pong) ++pongs;
    });
    for (int i = 0; i < count; ++i) {
      ws.ping({});
      boost::beast::flat_buffer buffer;
      ws.read(buffer);
      received.push_back(boost::beast::buffers_to_string(buffer.data()));
    }
  }, 4096);
  auto r = connect(io, peer.url(), {wamp::serializer_kind::json});
  REQUIRE_FALSE(r.ec);
  wamp::test::connection_events client;
  r.connection->start(client.handler());
  std::vector<std::string> sent;
  for (int i = 0; i < count; ++i) {
    const wamp::message msg = wamp::publish{static_cast<wamp::id>(i + 1), {}, "com.example.large",
                                            {std::string(std::size_t{1} << 20, static_cast<char>('a' + i))}};
    REQUIRE_FALSE(r.connection->send(msg));
    sent.push_back(json_of(msg));
  }
  REQUIRE(run_until(io, [&] { return peer.done(); }));
  CHECK(peer.join().empty());  // Beast found every frame well formed
  CHECK(received == sent);
  CHECK(pongs >= 1);  // the first pong came between the messages (later ones may come after)
  REQUIRE(run_until(io, [&] { return client.closes.size() == 1; }));
  CHECK_FALSE(client.closes[0]);
}

TEST_CASE("a message that came with the handshake is delivered after start() returns, also behind a ping",
          "[integration]") {
  // The server's 101 response, a ping and an EVENT arrive in one segment, so that they all
  // wait in the client's buffer when start() begins to read. Answering the ping writes a pong
  // at once (detail::eager_write_stream); the EVENT must still reach on_message from the I/O
  // thread's loop, not from inside start(), where the owner has not finished setting up.
  asio::io_context io, peer_io;  // the peer's own, used only on its thread once it runs
  asio::ip::tcp::acceptor acceptor(peer_io, {asio::ip::address_v4::loopback(), 0});
  const std::string url = "ws://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/ws";
  const std::string event = json_of(wamp::event{1, 2, {}, {"with the handshake"}, {}});
  std::string peer_saw;
  wamp::test::client_thread peer([&] {
    asio::ip::tcp::socket socket(peer_io);
    acceptor.accept(socket);
    std::string request;
    asio::read_until(socket, asio::dynamic_buffer(request), "\r\n\r\n");
    const std::string key_field = "Sec-WebSocket-Key: ";
    const auto at = request.find(key_field) + key_field.size();
    boost::beast::websocket::detail::sec_ws_accept_type accept;
    boost::beast::websocket::detail::make_sec_ws_accept(accept, request.substr(at, request.find("\r\n", at) - at));
    std::string bytes = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Accept: " + std::string(accept.data(), accept.size()) +
                        "\r\nSec-WebSocket-Protocol: wamp.2.json\r\n\r\n";
    bytes += std::string("\x89\x00", 2);                                          // ping, no payload
    bytes += std::string{'\x81', static_cast<char>(event.size())} + event;        // text frame
    asio::write(socket, asio::buffer(bytes));
    std::array<char, 2> pong{};
    asio::read(socket, asio::buffer(pong));  // the client's pong (masked: 4 key bytes follow)
    peer_saw.assign(pong.data(), pong.size());
  });
  auto r = connect(io, url, {wamp::serializer_kind::json});
  REQUIRE_FALSE(r.ec);
  wamp::test::connection_events client;
  auto handler = client.handler();
  bool starting = true, delivered_while_starting = false;
  handler.on_message = [&, on_message = handler.on_message](wamp::message&& m) {
    delivered_while_starting = delivered_while_starting || starting;
    on_message(std::move(m));
  };
  r.connection->start(std::move(handler));
  starting = false;
  REQUIRE(run_until(io, [&] { return client.messages.size() == 1 && peer.done(); }));
  CHECK_FALSE(delivered_while_starting);
  CHECK(json_of(client.messages[0]) == event);
  peer.join();
  CHECK(peer_saw == std::string("\x8a\x80", 2));  // a pong, masked, no payload
  r.connection->close_abruptly();
  REQUIRE(run_until(io, [&] { return client.closes.size() == 1; }));
}

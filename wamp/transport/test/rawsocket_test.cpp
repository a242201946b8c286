// RawSocket over real loopback sockets: handshake, each refusal, framing, PING/PONG, limits,
// timeouts and closing.
#include "wamp/transport/rawsocket.hpp"

#include <array>
#include <functional>
#include <thread>

#include <catch2/catch.hpp>

#include "wamp/transport/test/socket_test_support.hpp"

namespace wamp = autobahn_sync::wamp;
namespace asio = boost::asio;
using wamp::test::octets;
using wamp::test::run_until;

namespace {

struct server {
  asio::io_context& io;
  std::shared_ptr<wamp::rawsocket_listener> listener;
  std::vector<wamp::connection_ptr> accepted;
  wamp::test::connection_events events;
  bool echo = false;

  explicit server(asio::io_context& io, wamp::rawsocket_listener_options options = {}) : io(io) {
    listener = wamp::rawsocket_listener::create(io.get_executor(), "127.0.0.1", 0, options);
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

connect_result connect(asio::io_context& io, unsigned short port, wamp::serializer_kind kind,
                       wamp::transport_options options = {}) {
  connect_result r;
  wamp::async_rawsocket_connect(io.get_executor(), "127.0.0.1", port, kind, options,
                                [&](const boost::system::error_code& ec, wamp::connection_ptr c) {
                                  r.done = true;
                                  r.ec = ec;
                                  r.connection = std::move(c);
                                });
  REQUIRE(run_until(io, [&] { return r.done; }));
  return r;
}

}  // namespace

TEST_CASE("the length exponent announces the largest power of two within the limit", "[unit]") {
  CHECK(wamp::rawsocket_length_exponent(512) == 0);
  CHECK(wamp::rawsocket_length_exponent(1023) == 0);
  CHECK(wamp::rawsocket_length_exponent(1024) == 1);
  CHECK(wamp::rawsocket_length_exponent(16 << 20) == 15);
  CHECK(wamp::rawsocket_length_exponent(std::size_t{1} << 40) == 15);
}

TEST_CASE("RawSocket handshake and echo with each serializer", "[integration]") {
  const auto kind = GENERATE(wamp::serializer_kind::json, wamp::serializer_kind::msgpack);
  asio::io_context io;
  server s(io);
  s.echo = true;
  auto r = connect(io, s.listener->port(), kind);
  REQUIRE_FALSE(r.ec);
  wamp::test::connection_events client;
  r.connection->start(client.handler());
  CHECK(r.connection->info().transport == "rawsocket");
  CHECK(r.connection->info().serializer == (kind == wamp::serializer_kind::json ? "json" : "msgpack"));
  const wamp::message msg = wamp::call{1, {}, "com.example.echo", {"x", wamp::value::binary({1, 2, 3})}};
  for (int i = 0; i < 10; ++i) REQUIRE_FALSE(r.connection->send(msg));
  REQUIRE(run_until(io, [&] { return client.messages.size() == 10; }));
  CHECK(client.messages[9] == msg);
  CHECK(s.accepted.at(0)->info().peer.rfind("tcp4:127.0.0.1:", 0) == 0);
}

TEST_CASE("TCP keepalive probes an idle peer after tcp_keepalive_idle; 0 leaves it off", "[integration]") {
  asio::io_context io;
  wamp::rawsocket_listener_options options;
  options.transport.tcp_keepalive_idle = std::chrono::seconds(42);
  server s(io, options);
  wamp::transport_options client_options;
  client_options.tcp_keepalive_idle = std::chrono::seconds(0);
  auto r = connect(io, s.listener->port(), wamp::serializer_kind::json, client_options);
  REQUIRE_FALSE(r.ec);
  REQUIRE(run_until(io, [&] { return s.accepted.size() == 1; }));
  const auto client_port = wamp::test::port_of_peer(s.accepted[0]->info().peer);
  const auto server_side = wamp::test::tcp_timer_of(s.listener->port(), client_port);
  CHECK(server_side.kind == 2);  // keepalive, due within 42 s
  CHECK(server_side.ticks > 4000);
  CHECK(server_side.ticks <= 4200);
  CHECK(wamp::test::tcp_timer_of(client_port, s.listener->port()).kind == 0);
}

TEST_CASE("out of file descriptors, the listener pauses between accepts, says so, and accepts once one is free", "[integration]") {
  using namespace std::chrono_literals;
  asio::io_context io;
  wamp::rawsocket_listener_options options;
  std::vector<std::pair<boost::system::error_code, std::chrono::milliseconds>> failures;
  // Only recorded here: checks wait until descriptors are free (UBSan's own checks need one).
  options.on_accept_error = [&](const boost::system::error_code& ec, std::chrono::milliseconds pause) {
    failures.emplace_back(ec, pause);
  };
  server s(io, options);
  wamp::test::raw_client waiting(io, s.listener->port());  // in the listen backlog
  {
    wamp::test::no_free_descriptors starved;
    // Retrying at once would fail thousands of times in this while; the pauses (5, 10, 20,
    // 40, 80 ms...) allow a handful of tries.
    io.run_for(200ms);
  }
  REQUIRE_FALSE(failures.empty());
  CHECK(failures.size() <= 8);
  CHECK(failures[0].first == asio::error::no_descriptors);
  CHECK(failures[0].second == 5ms);
  if (failures.size() > 1) CHECK(failures[1].second == 10ms);
  // A descriptor is free again: the next try accepts the waiting client.
  REQUIRE(run_until(io, [&] { return s.listener->handshakes_in_progress() == 1; }));
}

TEST_CASE("RawSocket handshake refusals carry their error codes", "[integration]") {
  asio::io_context io;
  wamp::rawsocket_listener_options options;
  options.serializers = {wamp::serializer_kind::msgpack};
  options.min_client_message_size = 4096;
  options.max_connections = 1;
  server s(io, options);
  auto refusal = [&](const std::string& hello) {
    std::string reply;
    wamp::test::client_thread t([&] {
      asio::io_context client_io;
      wamp::test::raw_client c(client_io, s.listener->port());
      c.write(hello);
      reply = c.read(4);
    });
    run_until(io, [&] { return t.done(); });
    t.join();
    return reply;
  };
  CHECK(refusal(octets({0x7F, 0xF1, 0, 0})) == octets({0x7F, 0x10, 0, 0}));  // JSON not accepted
  CHECK(refusal(octets({0x7F, 0xF2, 0, 1})) == octets({0x7F, 0x30, 0, 0}));  // reserved bits
  CHECK(refusal(octets({0x7F, 0x02, 0, 0})) == octets({0x7F, 0x20, 0, 0}));  // 512 bytes: too small
  // One connection is allowed; the second is refused with 4.
  auto first = connect(io, s.listener->port(), wamp::serializer_kind::msgpack);
  REQUIRE_FALSE(first.ec);
  CHECK(refusal(octets({0x7F, 0xF2, 0, 0})) == octets({0x7F, 0x40, 0, 0}));
  // Our client reports refusals as errc values.
  CHECK(connect(io, s.listener->port(), wamp::serializer_kind::msgpack).ec == wamp::errc::max_connections_reached);
  CHECK(connect(io, s.listener->port(), wamp::serializer_kind::json).ec == wamp::errc::serializer_unsupported);
  wamp::transport_options small;
  small.max_message_size = 1024;
  first.connection->close_abruptly();
  REQUIRE(run_until(io, [&] { return s.listener->open_connections() == 0; }));
  CHECK(connect(io, s.listener->port(), wamp::serializer_kind::msgpack, small).ec == wamp::errc::max_length_unacceptable);
  CHECK_FALSE(connect(io, s.listener->port(), wamp::serializer_kind::msgpack).ec);
}

TEST_CASE("a client that is not RawSocket is dropped without a reply", "[integration]") {
  asio::io_context io;
  server s(io);
  std::string reply = "unset";
  wamp::test::client_thread t([&] {
    asio::io_context client_io;
    wamp::test::raw_client c(client_io, s.listener->port());
    c.write("GET / HTTP/1.1\r\n\r\n");
    reply = c.read(4);
  });
  run_until(io, [&] { return t.done(); });
  t.join();
  CHECK(reply.empty());
  CHECK(s.accepted.empty());
}

TEST_CASE("PING is answered with a PONG carrying the same payload", "[integration]") {
  asio::io_context io;
  server s(io);
  std::string reply;
  wamp::test::client_thread t([&] {
    asio::io_context client_io;
    wamp::test::raw_client c(client_io, s.listener->port());
    c.write(octets({0x7F, 0xF1, 0, 0}));
    REQUIRE(c.read(4) == octets({0x7F, 0xF1, 0, 0}));
    c.write(octets({1, 0, 0, 3}) + "abc");
    reply = c.read(7);
  });
  run_until(io, [&] { return t.done(); });
  t.join();
  CHECK(reply == octets({2, 0, 0, 3}) + "abc");
}

TEST_CASE("a peer that pings and never reads is cut off when its pongs fill the send queue", "[integration]") {
  asio::io_context io;
  wamp::rawsocket_listener_options options;
  options.transport.max_send_queue_bytes = 256 * 1024;
  server s(io, options);
  int pings_written = 0;
  boost::system::error_code write_error;
  wamp::test::client_thread t([&] {
    asio::io_context client_io;
    asio::ip::tcp::socket socket(client_io);
    socket.open(asio::ip::tcp::v4());
    socket.set_option(asio::socket_base::receive_buffer_size(4096));  // the pongs back up soon
    socket.connect({asio::ip::address_v4::loopback(), s.listener->port()});
    asio::write(socket, asio::buffer(octets({0x7F, 0xF1, 0, 0})));
    std::string reply(4, '\0');
    asio::read(socket, asio::buffer(reply));
    const std::string ping = octets({1, 1, 0, 0}) + std::string(64 * 1024, 'p');  // 64 KiB each
    // 64 MiB in all, far more than the socket buffers hold: the server must give up first.
    while (pings_written < 1024 && !write_error) {
      asio::write(socket, asio::buffer(ping), write_error);
      if (!write_error) ++pings_written;
    }
  });
  REQUIRE(run_until(io, [&] { return t.done() && s.events.closes.size() == 1; }));
  t.join();
  CHECK(s.events.closes[0] == wamp::errc::send_queue_full);
  CHECK(write_error);  // the server closed the connection under the writer
  CHECK(pings_written < 1024);
}

TEST_CASE("the receive buffer grows with the bytes that arrive, not with the length a header announces", "[unit]") {
  constexpr std::size_t chunk = 16 * 1024;
  const std::size_t announced = 4 + (std::size_t{16} << 20);  // 16 MiB
  CHECK(wamp::rawsocket::receive_room(8, announced, chunk) == 16 + chunk);  // 8 octets: no 16 MiB
  CHECK(wamp::rawsocket::receive_room(0, 0, chunk) == chunk);
  CHECK(wamp::rawsocket::receive_room(100, 0, chunk) == 100 + chunk);  // length not known yet
  // A 64 KiB frame whose first 16 KiB came: room for 48 KiB, then for the whole frame.
  CHECK(wamp::rawsocket::receive_room(chunk, 4 + 65536, chunk) == 3 * chunk);
  CHECK(wamp::rawsocket::receive_room(3 * chunk, 4 + 65536, chunk) == 4 + 65536);
  // Never less than one chunk more than what is held.
  CHECK(wamp::rawsocket::receive_room(65000, 65010, chunk) == 65000 + chunk);
}

TEST_CASE("messages near the negotiated limit pass; bigger ones are refused both ways", "[integration]") {
  asio::io_context io;
  wamp::rawsocket_listener_options options;
  options.transport.max_message_size = 1024;
  server s(io, options);
  s.echo = true;
  auto r = connect(io, s.listener->port(), wamp::serializer_kind::msgpack);  // announces 16 MiB
  REQUIRE_FALSE(r.ec);
  wamp::test::connection_events client;
  r.connection->start(client.handler());
  // The server announced 1024: our sends are held to it.
  std::string bytes;
  wamp::message fits = wamp::call{1, {}, "p", {std::string(1000, 'x')}};
  REQUIRE_FALSE(wamp::msgpack_serializer().encode(fits, bytes));
  REQUIRE(bytes.size() <= 1024);
  CHECK_FALSE(r.connection->send(fits));
  CHECK(r.connection->send(wamp::call{2, {}, "p", {std::string(1100, 'x')}}) == wamp::errc::message_too_large);
  REQUIRE(run_until(io, [&] { return client.messages.size() == 1; }));
  CHECK(client.messages[0] == fits);
}

TEST_CASE("a forged frame over the limit closes the receiving connection", "[integration]") {
  asio::io_context io;
  wamp::rawsocket_listener_options options;
  options.transport.max_message_size = 1024;
  server s(io, options);
  wamp::test::client_thread t([&] {
    asio::io_context client_io;
    wamp::test::raw_client c(client_io, s.listener->port());
    c.write(octets({0x7F, 0xF2, 0, 0}));
    c.read(4);
    c.write(octets({0, 0, 0x10, 0}));  // 4096 bytes announced
    c.read(1);                         // until the server closes
  });
  REQUIRE(run_until(io, [&] { return s.events.closes.size() == 1; }));
  t.join();
  CHECK(s.events.closes[0] == wamp::errc::message_too_large);
}

TEST_CASE("a limit below RawSocket's smallest (512 bytes) is still enforced on receipt", "[integration]") {
  asio::io_context io;
  wamp::rawsocket_listener_options options;
  options.transport.max_message_size = 100;  // announced as 512, the protocol's least
  server s(io, options);
  wamp::test::client_thread t([&] {
    asio::io_context client_io;
    wamp::test::raw_client c(client_io, s.listener->port());
    c.write(octets({0x7F, 0xF2, 0, 0}));
    c.read(4);
    c.write(octets({0, 0, 0x01, 0x90}) + std::string(400, ' '));  // 400 bytes: within 512, over 100
    c.read(1);  // until the server closes
  });
  REQUIRE(run_until(io, [&] { return s.events.closes.size() == 1; }));
  t.join();
  CHECK(s.events.closes[0] == wamp::errc::message_too_large);
  CHECK(s.events.messages.empty());
}

TEST_CASE("a peer closing in the middle of a frame is an error; between frames it is not", "[integration]") {
  asio::io_context io;
  server s(io);
  const bool mid_frame = GENERATE(true, false);
  wamp::test::client_thread t([&] {
    asio::io_context client_io;
    wamp::test::raw_client c(client_io, s.listener->port());
    c.write(octets({0x7F, 0xF1, 0, 0}));
    c.read(4);
    if (mid_frame) c.write(octets({0, 0, 0, 10}) + "[1,");
    c.close();
  });
  REQUIRE(run_until(io, [&] { return s.events.closes.size() == 1; }));
  t.join();
  CHECK(static_cast<bool>(s.events.closes[0]) == mid_frame);
}

TEST_CASE("handshake timeouts on both sides", "[integration]") {
  asio::io_context io;
  SECTION("a server drops a client that says nothing") {
    wamp::rawsocket_listener_options options;
    options.transport.handshake_timeout = std::chrono::milliseconds(50);
    server s(io, options);
    std::string reply = "unset";
    wamp::test::client_thread t([&] {
      asio::io_context client_io;
      wamp::test::raw_client c(client_io, s.listener->port());
      reply = c.read(4);  // returns when the server closes
    });
    run_until(io, [&] { return t.done(); });
    t.join();
    CHECK(reply.empty());
  }
  SECTION("a client gives up on a server that does not answer") {
    asio::ip::tcp::acceptor silent(io, {asio::ip::address_v4::loopback(), 0});
    asio::ip::tcp::socket accepted(io);
    silent.async_accept(accepted, [](const boost::system::error_code&) {});
    wamp::transport_options options;
    options.handshake_timeout = std::chrono::milliseconds(50);
    CHECK(connect(io, silent.local_endpoint().port(), wamp::serializer_kind::json, options).ec ==
          wamp::errc::handshake_timeout);
  }
}

TEST_CASE("close flushes what was sent and the peer sees an orderly close", "[integration]") {
  asio::io_context io;
  server s(io);
  auto r = connect(io, s.listener->port(), wamp::serializer_kind::json);
  REQUIRE_FALSE(r.ec);
  wamp::test::connection_events client;
  r.connection->start(client.handler());
  for (wamp::id i = 1; i <= 50; ++i) REQUIRE_FALSE(r.connection->send(wamp::publish{i, {}, "t", {std::string(1000, 'y')}}));
  r.connection->close();
  CHECK(r.connection->send(wamp::publish{99, {}, "t"}) == wamp::errc::not_connected);
  REQUIRE(run_until(io, [&] { return s.events.closes.size() == 1 && client.closes.size() == 1; }));
  CHECK(s.events.messages.size() == 50);
  CHECK_FALSE(s.events.closes[0]);
  CHECK_FALSE(client.closes[0]);
  CHECK(s.listener->open_connections() == 0);
}

TEST_CASE("a connection refused is reported", "[integration]") {
  asio::io_context io;
  unsigned short port = 0;
  {
    asio::ip::tcp::acceptor a(io, {asio::ip::address_v4::loopback(), 0});
    port = a.local_endpoint().port();
  }
  CHECK(connect(io, port, wamp::serializer_kind::json).ec == asio::error::connection_refused);
}

TEST_CASE("the refuse_handshake hook answers a handshake with the error code it returns", "[integration]") {
  asio::io_context io;
  const int code = GENERATE(0, 1, 2, 3, 4);
  wamp::rawsocket_listener_options options;
  int asked = 0;
  options.refuse_handshake = [&] {
    ++asked;
    return code;
  };
  server s(io, options);
  const boost::system::error_code expected[] = {
      {},
      wamp::errc::serializer_unsupported,
      wamp::errc::max_length_unacceptable,
      wamp::errc::reserved_bits_used,
      wamp::errc::max_connections_reached,
  };
  const auto r = connect(io, s.listener->port(), wamp::serializer_kind::json);
  CHECK(r.ec == expected[code]);
  CHECK(asked == 1);
  CHECK(s.listener->open_connections() == (code == 0 ? 1u : 0u));
}

namespace {

std::string encoded(const wamp::message& msg) {
  std::string out;
  REQUIRE_FALSE(wamp::json_serializer().encode(msg, out));
  return out;
}

std::string frame_header_of(std::size_t length) {
  return octets({0, static_cast<int>((length >> 16) & 0xFF), static_cast<int>((length >> 8) & 0xFF),
                 static_cast<int>(length & 0xFF)});
}

// A raw peer that completes a JSON handshake and then reads everything until the stream ends.
std::string read_until_end(asio::io_context& io, server& s, const std::function<void(wamp::connection&)>& act) {
  std::string received;
  wamp::test::client_thread t([&] {
    asio::io_context client_io;
    wamp::test::raw_client c(client_io, s.listener->port());
    c.write(octets({0x7F, 0xF1, 0, 0}));
    c.read(4);
    std::array<char, 256> chunk;
    boost::system::error_code ec;
    while (!ec) {
      const auto n = c.socket().read_some(asio::buffer(chunk), ec);
      received.append(chunk.data(), n);
    }
  });
  REQUIRE(run_until(io, [&] { return s.accepted.size() == 1; }));
  act(*s.accepted[0]);
  REQUIRE(run_until(io, [&] { return t.done(); }));
  t.join();
  return received;
}

}  // namespace

TEST_CASE("send_in_pieces writes the whole frame in small writes; the peer reassembles it", "[integration]") {
  asio::io_context io;
  const std::size_t piece = GENERATE(1, 3, 4096);
  const wamp::message msg = wamp::publish{7, {}, "com.example.sliced", {"a payload of some length"}};
  SECTION("the bytes on the wire are the frame, whole") {
    server s(io);
    const auto bytes = read_until_end(io, s, [&](wamp::connection& c) {
      REQUIRE_FALSE(c.send_in_pieces(msg, piece));
      c.close();
    });
    CHECK(bytes == frame_header_of(encoded(msg).size()) + encoded(msg));
  }
  SECTION("our receiver decodes the message") {
    server s(io);
    auto r = connect(io, s.listener->port(), wamp::serializer_kind::json);
    REQUIRE_FALSE(r.ec);
    REQUIRE_FALSE(r.connection->send_in_pieces(msg, piece));
    REQUIRE(run_until(io, [&] { return s.events.messages.size() == 1; }));
    CHECK(s.events.messages[0] == msg);
    r.connection->close();
  }
}

TEST_CASE("send_cut_short writes the header and the first bytes, then the stream ends", "[integration]") {
  asio::io_context io;
  server s(io);
  const wamp::message msg = wamp::publish{7, {}, "com.example.cut", {"never whole"}};
  const auto bytes = read_until_end(io, s, [&](wamp::connection& c) { c.send_cut_short(msg, 5); });
  CHECK(bytes == frame_header_of(encoded(msg).size()) + encoded(msg).substr(0, 5));
  REQUIRE(run_until(io, [&] { return s.events.closes.size() == 1; }));
}

TEST_CASE("frames arriving together, split anywhere, or larger than one read arrive whole and in order", "[integration]") {
  asio::io_context io;
  server s(io);
  const std::vector<wamp::message> sent = {
      wamp::publish{1, {}, "com.example.a", {"first"}},
      wamp::publish{2, {}, "com.example.b", {std::string(100 * 1024, 'x')}},  // many reads' worth
      wamp::publish{3, {}, "com.example.c", {"third"}},
      wamp::publish{4, {}, "com.example.d", {"fourth"}},
  };
  std::string stream;
  for (const auto& m : sent) stream += frame_header_of(encoded(m).size()) + encoded(m);
  // Cut the stream inside a header, inside the large payload, and not at all between the last two.
  const std::size_t cuts[] = {2, 40 * 1024, stream.size()};
  wamp::test::client_thread t([&] {
    asio::io_context client_io;
    wamp::test::raw_client c(client_io, s.listener->port());
    c.write(octets({0x7F, 0xF1, 0, 0}));
    c.read(4);
    std::size_t at = 0;
    for (const auto cut : cuts) {
      c.write(stream.substr(at, cut - at));
      at = cut;
    }
    c.read(1);  // until the server closes
  });
  REQUIRE(run_until(io, [&] { return s.events.messages.size() == sent.size(); }));
  CHECK(s.events.messages == sent);
  s.accepted.at(0)->close();
  run_until(io, [&] { return t.done(); });
  t.join();
}

// Limits that hold under attack, over real sockets on 127.0.0.1 against a router's listeners:
// silent and trickling peers are dropped at the transport handshake deadline, peers that never
// join (or never answer their CHALLENGE) at the join deadline, and a message over the size
// limit ends its session while the router serves the others. Each time, the router logs one
// "limit <name>: ..." line naming the peer (and the session once there is one); the tests wait
// for that line, and for closes, with deadlines that only guard against hangs (no sleeps).
#include "router/router.hpp"

#include <algorithm>
#include <deque>

#include <catch2/catch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "router/uris.hpp"
#include "testing/recorder.hpp"
#include "wamp/transport/rawsocket.hpp"
#include "wamp/transport/rawsocket_handshake.hpp"
#include "wamp/transport/test/socket_test_support.hpp"
#include "wamp/transport/websocket.hpp"

namespace wamp = autobahn_sync::wamp;
namespace router = autobahn_sync::router;
namespace testing = autobahn_sync::testing;
namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using namespace std::chrono_literals;

namespace {

constexpr auto hang_guard = 10s;

/// The router's log, written on its thread and read by the test thread.
class log_recorder : public testing::recorder<std::string> {
 public:
  std::function<void(const std::string&)> sink() {
    return [this](const std::string& line) { add(line); };
  }
  /// The first line starting with `prefix`, once there is one (empty after the hang guard).
  std::string wait_for_line(const std::string& prefix) const {
    std::string found;
    wait_until(
        [&](const std::vector<std::string>& lines) {
          for (const auto& l : lines)
            if (l.rfind(prefix, 0) == 0) return found = l, true;
          return false;
        },
        hang_guard);
    return found;
  }
  std::size_t count(const std::string& prefix) const {
    std::size_t n = 0;
    for (const auto& l : items()) n += l.rfind(prefix, 0) == 0;
    return n;
  }
};

/// Runs the test's io_context until `done()` holds; false after the hang guard.
bool run_until(asio::io_context& io, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + hang_guard;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    io.restart();
    io.run_one_for(50ms);
  }
  return true;
}

std::string peer_name_of(const tcp::socket& s) {
  return "tcp4:127.0.0.1:" + std::to_string(s.local_endpoint().port());
}

/// A WAMP client connection on the test's io_context.
struct wamp_client {
  wamp_client(asio::io_context& io, wamp::connection_ptr c) : io(io), connection(std::move(c)) {
    connection->start({[this](wamp::message&& m) { inbox.push_back(std::move(m)); }, nullptr,
                       [this](const error_code& ec) {
                         closed = true;
                         close_error = ec;
                       }});
  }
  template <class T>
  T next() {
    REQUIRE(run_until(io, [&] { return !inbox.empty(); }));
    auto m = std::move(inbox.front());
    inbox.pop_front();
    INFO("got " << wamp::name_of(wamp::type_of(m)));
    REQUIRE(std::holds_alternative<T>(m));
    return std::get<T>(std::move(m));
  }
  /// Joins as caller and callee, announcing `features` for both roles.
  wamp::id join(const wamp::dict& features = {}) {
    const wamp::value role = {{"features", features}};
    REQUIRE_FALSE(connection->send(wamp::hello{"realm1", {{"roles", {{"caller", role}, {"callee", role}}}}}));
    return next<wamp::welcome>().session;
  }
  bool wait_closed() { return run_until(io, [&] { return closed; }); }

  asio::io_context& io;
  wamp::connection_ptr connection;
  std::deque<wamp::message> inbox;
  bool closed = false;
  error_code close_error;
};

wamp::connection_ptr connect(asio::io_context& io, bool websocket, unsigned short port,
                             wamp::transport_options options = {}) {
  wamp::connection_ptr conn;
  error_code error;
  bool done = false;
  auto on_connect = [&](const error_code& ec, wamp::connection_ptr c) {
    error = ec;
    conn = std::move(c);
    done = true;
  };
  if (websocket) {
    wamp::async_websocket_connect(io.get_executor(), "127.0.0.1", port, "/ws", {wamp::serializer_kind::json}, options,
                                  on_connect);
  } else {
    wamp::async_rawsocket_connect(io.get_executor(), "127.0.0.1", port, wamp::serializer_kind::json, options,
                                  on_connect);
  }
  REQUIRE(run_until(io, [&] { return done; }));
  REQUIRE_FALSE(error);
  return conn;
}

router::router_config realm_with_alice() {
  router::router_config c;
  router::realm_config r{"realm1"};
  r.roles = {{"user", {router::permission::allow_all()}}, {"anonymous", {router::permission::allow_all()}}};
  r.users.push_back({"alice", "user", "ticket", "ticket-alice"});
  c.realms.push_back(r);
  return c;
}

// Reads exactly `n` bytes, or until the connection ends.
std::string read_bytes(asio::io_context& io, tcp::socket& s, std::size_t n, error_code& ec) {
  std::string out(n, '\0');
  bool done = false;
  std::size_t got = 0;
  asio::async_read(s, asio::buffer(out), [&](const error_code& e, std::size_t k) {
    ec = e;
    got = k;
    done = true;
  });
  REQUIRE(run_until(io, [&] { return done; }));
  out.resize(got);
  return out;
}

std::string bytes_of(const wamp::rawsocket::octets& o) { return std::string(o.begin(), o.end()); }

std::string frame(const std::string& payload) {
  return bytes_of(wamp::rawsocket::frame_header(wamp::rawsocket::frame_type::message, payload.size())) + payload;
}

// The next frame the router wrote on `s` (after a handshake by hand), decoded as JSON.
wamp::decode_result read_message(asio::io_context& io, tcp::socket& s, error_code& ec) {
  const auto header = read_bytes(io, s, 4, ec);
  REQUIRE(header.size() == 4);
  wamp::rawsocket::octets octets;
  std::copy(header.begin(), header.end(), octets.begin());
  const auto parsed = wamp::rawsocket::parse_frame_header(octets, 1 << 20);
  REQUIRE_FALSE(parsed.error);
  return wamp::json_serializer().decode(read_bytes(io, s, parsed.length, ec));
}

// A TCP connection that completed a RawSocket handshake by hand (JSON, up to 1 MiB): frames
// are then written and read byte by byte. `reply`: the router's 4 handshake octets.
tcp::socket rawsocket_by_hand(asio::io_context& io, unsigned short port, std::string* reply = nullptr) {
  tcp::socket s(io);
  s.connect({asio::ip::address_v4::loopback(), port});
  error_code ec;
  asio::write(s, asio::buffer(bytes_of(wamp::rawsocket::client_hello(wamp::serializer_kind::json, 1 << 20))));
  const auto got = read_bytes(io, s, 4, ec);
  REQUIRE(got.size() == 4);
  if (reply) *reply = got;
  return s;
}

}  // namespace

TEST_CASE("silent and trickling peers are dropped at the handshake deadline, and it is logged", "[integration]") {
  log_recorder log;
  router::router_options options;
  options.core.log = log.sink();
  options.transport.handshake_timeout = 200ms;
  router::router r(realm_with_alice(), options);
  const bool websocket = GENERATE(false, true);
  const bool trickling = GENERATE(false, true);
  INFO((websocket ? "WebSocket" : "RawSocket") << (trickling ? ", trickling" : ", silent"));
  const auto port = websocket ? r.listen_websocket() : r.listen_rawsocket();

  asio::io_context io;
  tcp::socket s(io);
  const auto started = std::chrono::steady_clock::now();  // before the router can accept
  s.connect({asio::ip::address_v4::loopback(), port});
  // A trickler sends a few bytes every 50 ms and never finishes: RawSocket's first three
  // octets, or an HTTP request whose headers never end.
  asio::steady_timer tick(io);
  int sent = 0;
  std::function<void()> trickle = [&] {
    std::string chunk;
    if (websocket) chunk = sent == 0 ? "GET /ws HTTP/1.1\r\n" : "X-Slow-" + std::to_string(sent) + ": 1\r\n";
    else if (sent < 3) chunk = std::string(1, "\x7F\xF1\x00"[sent]);
    ++sent;
    if (!chunk.empty()) {
      error_code ignored;
      asio::write(s, asio::buffer(chunk), ignored);
    }
    tick.expires_after(50ms);
    tick.async_wait([&](const error_code& ec) {
      if (!ec) trickle();
    });
  };
  if (trickling) trickle();

  bool dropped = false;
  error_code read_error;
  char byte;
  s.async_read_some(asio::buffer(&byte, 1), [&](const error_code& ec, std::size_t) {
    dropped = true;
    read_error = ec;
    tick.cancel();
  });
  REQUIRE(run_until(io, [&] { return dropped; }));
  CHECK(std::chrono::steady_clock::now() - started >= 200ms);
  CHECK((read_error == asio::error::eof || read_error == asio::error::connection_reset));
  if (trickling) CHECK(sent >= 3);
  const std::string line = log.wait_for_line("limit handshake_timeout: peer=" + peer_name_of(s) + " ");
  CHECK(line == "limit handshake_timeout: peer=" + peer_name_of(s) + " dropped: no " +
                    (websocket ? "WebSocket" : "RawSocket") + " handshake within 200 ms");
  CHECK(log.count("limit ") == 1);

  // A client that completes its handshake is served as usual.
  wamp_client good(io, connect(io, websocket, port));
  good.join();
}

TEST_CASE("peers that do not join, or do not answer their CHALLENGE, are aborted at the join deadline", "[integration]") {
  log_recorder log;
  router::router_options options;
  options.core.log = log.sink();
  options.core.limits.join_timeout = 300ms;
  router::router r(realm_with_alice(), options);
  const bool websocket = GENERATE(false, true);
  const bool challenged = GENERATE(false, true);
  INFO((websocket ? "WebSocket" : "RawSocket") << (challenged ? ", challenged" : ", silent"));
  const auto port = websocket ? r.listen_websocket() : r.listen_rawsocket();
  asio::io_context io;
  wamp_client slow(io, connect(io, websocket, port));
  if (challenged) {
    REQUIRE_FALSE(slow.connection->send(
        wamp::hello{"realm1", {{"authid", "alice"}, {"authmethods", wamp::value::array({"ticket"})}}}));
    CHECK(slow.next<wamp::challenge>().authmethod == "ticket");
  }
  const auto abort = slow.next<wamp::abort>();
  CHECK(abort.reason == router::uris::timeout);
  CHECK(slow.wait_closed());
  const auto line = log.wait_for_line("limit join_timeout: abort session=");
  CHECK_THAT(line, Catch::Contains(" peer=tcp4:127.0.0.1:") &&
                       Catch::EndsWith(" reason=wamp.error.timeout message=the session did not join in time"));
}

TEST_CASE("a RawSocket frame over the size limit gets ABORT and a close; the router serves the others", "[integration]") {
  log_recorder log;
  router::router_options options;
  options.core.log = log.sink();
  options.transport.max_message_size = 1024;
  router::router r(realm_with_alice(), options);
  const auto port = r.listen_rawsocket();
  asio::io_context io;
  wamp_client other(io, connect(io, false, port));
  other.join();

  std::string reply;
  tcp::socket s = rawsocket_by_hand(io, port, &reply);
  error_code ec;
  REQUIRE(reply[1] == char(0x11));  // JSON, and the router's limit: 2^(9+1) = 1024 bytes
  asio::write(s, asio::buffer(frame(R"([1,"realm1",{"roles":{"caller":{}}}])")));
  (void)read_message(io, s, ec);  // the WELCOME
  // 4096 bytes announced; the first 1000 follow at once.
  asio::write(s, asio::buffer(bytes_of(wamp::rawsocket::frame_header(wamp::rawsocket::frame_type::message, 4096)) +
                              std::string(1000, ' ')));
  const auto decoded = read_message(io, s, ec);
  REQUIRE(decoded.ok());
  REQUIRE(std::holds_alternative<wamp::abort>(decoded.msg));
  const auto& abort = std::get<wamp::abort>(decoded.msg);
  CHECK(abort.reason == router::uris::protocol_violation);
  CHECK(abort.details.at("message") == "a frame of 4096 bytes is over the limit of 1024 bytes");
  CHECK(read_bytes(io, s, 1, ec).empty());  // then the router closes
  CHECK(ec);

  const auto line = log.wait_for_line("limit max_message_size: ");
  CHECK_THAT(line, Catch::StartsWith("limit max_message_size: abort session=") &&
                       Catch::Contains(" peer=" + peer_name_of(s) + " reason=wamp.error.protocol_violation") &&
                       Catch::EndsWith("message=a frame of 4096 bytes is over the limit of 1024 bytes"));
  REQUIRE_FALSE(other.connection->send(wamp::call{1, {}, "wamp.session.count"}));
  CHECK(other.next<wamp::result>().args.at(0) == 1);
}

TEST_CASE("a WebSocket message over the size limit closes its connection; the router serves the others", "[integration]") {
  log_recorder log;
  router::router_options options;
  options.core.log = log.sink();
  options.transport.max_message_size = 1024;
  router::router r(realm_with_alice(), options);
  const auto port = r.listen_websocket();
  asio::io_context io;
  wamp_client other(io, connect(io, true, port));
  other.join();
  wamp::transport_options big;
  big.max_message_size = 1 << 20;
  wamp_client attacker(io, connect(io, true, port, big));
  const auto session = attacker.join();
  REQUIRE_FALSE(attacker.connection->send(wamp::call{1, {}, "com.p", {std::string(2000, 'x')}}));
  CHECK(attacker.wait_closed());
  CHECK(attacker.inbox.empty());  // no RESULT or ERROR: the connection ended (close code 1009)
  const auto line = log.wait_for_line("limit max_message_size: ");
  CHECK_THAT(line, Catch::StartsWith("limit max_message_size: session=" + std::to_string(session) + " peer=tcp4:") &&
                       Catch::EndsWith(" connection closed: a message over the limit of 1024 bytes"));
  REQUIRE_FALSE(other.connection->send(wamp::call{1, {}, "wamp.session.count"}));
  CHECK(other.next<wamp::result>().args.at(0) == 1);
}

TEST_CASE("a RESULT or INVOCATION bigger than its receiver accepts fails the call with payload_size_exceeded", "[integration]") {
  log_recorder log;
  router::router_options options;
  options.core.log = log.sink();
  router::router r(realm_with_alice(), options);
  const auto port = r.listen_rawsocket();
  asio::io_context io;
  wamp::transport_options small, big;
  small.max_message_size = 1024;  // the router may send these clients 1024 bytes at most
  big.max_message_size = 1 << 20;
  wamp_client small_peer(io, connect(io, false, port, small));
  wamp_client big_peer(io, connect(io, false, port, big));
  const wamp::dict progressive{{"progressive_call_results", true}, {"call_canceling", true}};
  const auto small_session = small_peer.join(progressive);
  big_peer.join(progressive);
  const std::string bulky(2000, 'x');

  SECTION("a RESULT too big for the caller") {
    REQUIRE_FALSE(big_peer.connection->send(wamp::register_{1, {}, "com.bulky"}));
    big_peer.next<wamp::registered>();
    REQUIRE_FALSE(small_peer.connection->send(wamp::call{1, {}, "com.bulky"}));
    const auto invocation = big_peer.next<wamp::invocation>();
    REQUIRE_FALSE(big_peer.connection->send(wamp::yield{invocation.request, {}, {bulky}}));
    const auto error = small_peer.next<wamp::error>();
    CHECK(error.request == 1);
    CHECK(error.error_uri == router::uris::payload_size_exceeded);
    CHECK(log.wait_for_line("limit max_message_size: ") ==
          "limit max_message_size: session=" + std::to_string(small_session) + " peer=" +
              r.with_core([&](router::router_core& core) { return core.find_session(small_session)->transport.peer; }) +
              " RESULT too big for the peer: ERROR wamp.error.payload_size_exceeded sent instead");
  }
  SECTION("a progressive RESULT too big for the caller ends the call: the callee is interrupted") {
    REQUIRE_FALSE(big_peer.connection->send(wamp::register_{1, {}, "com.bulky"}));
    big_peer.next<wamp::registered>();
    REQUIRE_FALSE(small_peer.connection->send(wamp::call{1, {{"receive_progress", true}}, "com.bulky"}));
    const auto invocation = big_peer.next<wamp::invocation>();
    REQUIRE_FALSE(big_peer.connection->send(wamp::yield{invocation.request, {{"progress", true}}, {"fits"}}));
    CHECK(small_peer.next<wamp::result>().args == wamp::list{"fits"});
    REQUIRE_FALSE(big_peer.connection->send(wamp::yield{invocation.request, {{"progress", true}}, {bulky}}));
    const auto error = small_peer.next<wamp::error>();
    CHECK(error.request == 1);
    CHECK(error.error_uri == router::uris::payload_size_exceeded);
    const auto interrupt = big_peer.next<wamp::interrupt>();
    CHECK(interrupt.request == invocation.request);
    CHECK(interrupt.options.at("mode") == "killnowait");
    // What the callee yields after that reaches nobody: the caller's next call is answered
    // first by its own RESULT.
    REQUIRE_FALSE(big_peer.connection->send(wamp::yield{invocation.request, {{"progress", true}}, {"late"}}));
    REQUIRE_FALSE(big_peer.connection->send(wamp::yield{invocation.request, {}, {"last"}}));
    REQUIRE_FALSE(small_peer.connection->send(wamp::call{2, {}, "com.bulky"}));
    const auto second = big_peer.next<wamp::invocation>();
    REQUIRE_FALSE(big_peer.connection->send(wamp::yield{second.request, {}, {"second"}}));
    const auto result = small_peer.next<wamp::result>();
    CHECK(result.request == 2);
    CHECK(result.args == wamp::list{"second"});
  }
  SECTION("an INVOCATION too big for the callee") {
    REQUIRE_FALSE(small_peer.connection->send(wamp::register_{1, {}, "com.small"}));
    small_peer.next<wamp::registered>();
    REQUIRE_FALSE(big_peer.connection->send(wamp::call{1, {}, "com.small", {bulky}}));
    const auto error = big_peer.next<wamp::error>();
    CHECK(error.request == 1);
    CHECK(error.error_uri == router::uris::payload_size_exceeded);
    CHECK_THAT(log.wait_for_line("limit max_message_size: "),
               Catch::StartsWith("limit max_message_size: session=" + std::to_string(small_session)) &&
                   Catch::EndsWith(" INVOCATION too big for the peer: the call fails with wamp.error.payload_size_exceeded"));
    // The callee was spared and serves calls that fit.
    REQUIRE_FALSE(big_peer.connection->send(wamp::call{2, {}, "com.small", {1}}));
    const auto invocation = small_peer.next<wamp::invocation>();
    REQUIRE_FALSE(small_peer.connection->send(wamp::yield{invocation.request, {}, {2}}));
    CHECK(big_peer.next<wamp::result>().request == 2);
  }
  CHECK_FALSE(small_peer.closed);
}

TEST_CASE("past max_pending_handshakes a new connection is closed at once, and it is logged", "[integration]") {
  log_recorder log;
  router::router_options options;
  options.core.log = log.sink();
  options.transport.max_pending_handshakes = 2;
  router::router r(realm_with_alice(), options);
  const bool websocket = GENERATE(false, true);
  INFO((websocket ? "WebSocket" : "RawSocket"));
  const auto port = websocket ? r.listen_websocket() : r.listen_rawsocket();
  asio::io_context io;
  std::vector<tcp::socket> silent;
  for (int i = 0; i < 3; ++i) {
    silent.emplace_back(io);
    silent.back().connect({asio::ip::address_v4::loopback(), port});
  }
  error_code ec;
  CHECK(read_bytes(io, silent[2], 1, ec).empty());  // the third: closed at once
  CHECK(log.wait_for_line("limit max_pending_handshakes: ") ==
        "limit max_pending_handshakes: peer=" + peer_name_of(silent[2]) + " closed: 2 handshakes are in progress already");
  CHECK(log.count("limit max_pending_handshakes: ") == 1);
  // The first two are still waiting for their handshakes: one that finishes is served.
  if (!websocket) {
    asio::write(silent[0], asio::buffer(bytes_of(wamp::rawsocket::client_hello(wamp::serializer_kind::json, 1 << 20))));
    CHECK(read_bytes(io, silent[0], 4, ec).size() == 4);
  }
}

TEST_CASE("out of file descriptors, the router logs the failed accept and serves the client once one is free", "[integration]") {
  log_recorder log;
  router::router_options options;
  options.core.log = log.sink();
  router::router r(realm_with_alice(), options);
  const auto port = r.listen_rawsocket();
  asio::io_context io;
  tcp::socket waiting(io);
  waiting.open(tcp::v4());  // its descriptor first
  std::string line;
  {
    wamp::test::no_free_descriptors starved;
    waiting.connect({asio::ip::address_v4::loopback(), port});  // the router cannot accept it
    line = log.wait_for_line("RawSocket listener: ");
  }
  CHECK(line == "RawSocket listener: accepting failed: Too many open files; next try in 5 ms");
  error_code ec;
  asio::write(waiting, asio::buffer(bytes_of(wamp::rawsocket::client_hello(wamp::serializer_kind::json, 1 << 20))));
  CHECK(read_bytes(io, waiting, 4, ec).size() == 4);  // the handshake's answer: served
}

TEST_CASE("a RawSocket client whose limit is too small for the WELCOME gets ABORT, not silence", "[integration]") {
  log_recorder log;
  router::router_options options;
  options.core.log = log.sink();
  router::router r(realm_with_alice(), options);
  const auto port = r.listen_rawsocket();
  asio::io_context io;
  tcp::socket s(io);
  s.connect({asio::ip::address_v4::loopback(), port});
  error_code ec;
  // The smallest limit RawSocket can announce: 2^9 = 512 bytes.
  asio::write(s, asio::buffer(bytes_of(wamp::rawsocket::client_hello(wamp::serializer_kind::json, 512))));
  REQUIRE(read_bytes(io, s, 4, ec).size() == 4);
  asio::write(s, asio::buffer(frame(R"([1,"realm1",{"roles":{"caller":{}}}])")));
  const auto decoded = read_message(io, s, ec);
  REQUIRE(decoded.ok());
  REQUIRE(std::holds_alternative<wamp::abort>(decoded.msg));
  const auto& abort = std::get<wamp::abort>(decoded.msg);
  CHECK(abort.reason == router::uris::payload_size_exceeded);
  CHECK(abort.details.at("message") == "the WELCOME is bigger than this connection accepts");
  CHECK(read_bytes(io, s, 1, ec).empty());  // then the router closes
  CHECK_THAT(log.wait_for_line("limit max_message_size: "),
             Catch::EndsWith(" WELCOME too big for the peer: the session is aborted"));
}

TEST_CASE("a subscriber that does not read is cut off at max_send_queue_bytes; the publisher carries on", "[integration]") {
  log_recorder log;
  router::router_options options;
  options.core.log = log.sink();
  options.transport.max_send_queue_bytes = 256 * 1024;
  router::router r(realm_with_alice(), options);
  const auto port = r.listen_rawsocket();
  asio::io_context io;
  wamp_client publisher(io, connect(io, false, port));
  publisher.join();

  // The stuck subscriber: joins and subscribes by hand, then never reads again.
  tcp::socket s = rawsocket_by_hand(io, port);
  error_code ec;
  asio::write(s, asio::buffer(frame(R"([1,"realm1",{"roles":{"subscriber":{}}}])") + frame(R"([32,1,{},"com.news"])")));
  const auto line_prefix = "limit max_send_queue_bytes: session=";
  const std::string payload(60 * 1024, 'n');
  // Publish until the router gives up on the subscriber (the socket buffers take a few MB
  // first); each acknowledged PUBLISH shows the publisher is served all along.
  wamp::id request = 0;
  while (log.count(line_prefix) == 0 && request < 2000) {
    REQUIRE_FALSE(publisher.connection->send(wamp::publish{++request, {{"acknowledge", true}}, "com.news", {payload}}));
    CHECK(publisher.next<wamp::published>().request == request);
  }
  const auto line = log.wait_for_line(line_prefix);
  CHECK_THAT(line, Catch::Contains(" peer=" + peer_name_of(s) + " connection closed: more than 262144 bytes wait for "
                                   "a peer that does not read"));
  REQUIRE_FALSE(publisher.connection->send(wamp::call{1, {}, "wamp.session.count"}));
  CHECK(publisher.next<wamp::result>().args.at(0) == 1);
}

TEST_CASE("a peer that pings and never reads is cut off at max_send_queue_bytes; it is logged", "[integration]") {
  log_recorder log;
  router::router_options options;
  options.core.log = log.sink();
  options.transport.max_send_queue_bytes = 256 * 1024;
  router::router r(realm_with_alice(), options);
  const auto port = r.listen_rawsocket();
  asio::io_context io;
  wamp_client other(io, connect(io, false, port));
  other.join();

  tcp::socket s = rawsocket_by_hand(io, port);
  error_code ec;
  asio::write(s, asio::buffer(frame(R"([1,"realm1",{"roles":{"caller":{}}}])")));
  (void)read_message(io, s, ec);  // the WELCOME; nothing is read after it
  const std::string ping =
      bytes_of(wamp::rawsocket::frame_header(wamp::rawsocket::frame_type::ping, 60 * 1024)) + std::string(60 * 1024, 'p');
  const auto line_prefix = "limit max_send_queue_bytes: session=";
  // Ping until the router gives up (the socket buffers take a few MB of pongs first).
  int pings = 0;
  while (log.count(line_prefix) == 0 && pings < 2000 && !ec) {
    asio::write(s, asio::buffer(ping), ec);
    ++pings;
  }
  const auto line = log.wait_for_line(line_prefix);
  CHECK_THAT(line, Catch::Contains(" peer=" + peer_name_of(s) + " connection closed: more than 262144 bytes wait for "
                                   "a peer that does not read"));
  CHECK(pings < 2000);
  REQUIRE_FALSE(other.connection->send(wamp::call{1, {}, "wamp.session.count"}));
  CHECK(other.next<wamp::result>().args.at(0) == 1);
}

namespace {

// What a router with `options` logged for `limit` when the HELLO `hello_json`, sent by hand
// over RawSocket, broke it, and the peer name of that connection; checks that the router
// answered with ABORT protocol_violation and closed.
struct limit_hit {
  std::string log_line;
  std::string peer;
};
limit_hit hello_over_a_limit(const std::string& hello_json, router::router_options options, const std::string& limit) {
  log_recorder log;
  options.core.log = log.sink();
  router::router r(realm_with_alice(), options);
  const auto port = r.listen_rawsocket();
  asio::io_context io;
  tcp::socket s = rawsocket_by_hand(io, port);
  error_code ec;
  asio::write(s, asio::buffer(frame(hello_json)));
  const auto decoded = read_message(io, s, ec);
  REQUIRE(decoded.ok());
  REQUIRE(std::holds_alternative<wamp::abort>(decoded.msg));
  CHECK(std::get<wamp::abort>(decoded.msg).reason == router::uris::protocol_violation);
  CHECK(read_bytes(io, s, 1, ec).empty());  // then the router closes
  return {log.wait_for_line("limit " + limit + ": "), peer_name_of(s)};
}

}  // namespace

TEST_CASE("a message whose values would take more than max_decoded_size gets ABORT protocol_violation; it is logged",
          "[integration]") {
  router::router_options options;
  options.transport.max_decoded_size = std::size_t{1} << 20;
  // 90 KB of empty lists: about 1.4 MB once decoded.
  std::string lists = "[]";
  for (int i = 1; i < 30'000; ++i) lists += ",[]";
  const auto hit = hello_over_a_limit("[1,\"realm1\",{\"x\":[" + lists + "]}]", options, "max_decoded_size");
  CHECK_THAT(hit.log_line, Catch::StartsWith("limit max_decoded_size: abort session=") &&
                               Catch::Contains(" peer=" + hit.peer + " reason=wamp.error.protocol_violation") &&
                               Catch::Contains("1048576 bytes of memory"));
}

TEST_CASE("a message nested deeper than max_depth gets ABORT protocol_violation; it is logged", "[integration]") {
  const int depth = wamp::default_max_depth + 10;
  const auto hit = hello_over_a_limit("[1,\"realm1\",{\"x\":" + std::string(depth, '[') + std::string(depth, ']') + "}]",
                                      {}, "max_depth");
  CHECK_THAT(hit.log_line, Catch::StartsWith("limit max_depth: abort session=") &&
                               Catch::Contains(" peer=" + hit.peer + " reason=wamp.error.protocol_violation"));
}

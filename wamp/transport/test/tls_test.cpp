// TLS over real loopback sockets: wss:// and rss:// round trips with each serializer, the
// client's certificate and host name checks (each failure with its own error, never a hang),
// verify=false, plain clients against TLS listeners, and bad server certificates.
#include "wamp/transport/tls.hpp"

#include <catch2/catch.hpp>

#include "wamp/transport/rawsocket.hpp"
#include "wamp/transport/test/socket_test_support.hpp"
#include "wamp/transport/test/test_certificates.hpp"
#include "wamp/transport/url.hpp"
#include "wamp/transport/websocket.hpp"

namespace wamp = autobahn_sync::wamp;
namespace asio = boost::asio;
using wamp::test::run_until;
using namespace std::chrono_literals;

namespace {

const wamp::test::test_pki& pki() { return wamp::test::test_pki::get(); }

wamp::tls_server_config server_certificate() { return {pki().server_chain_pem, pki().server_key_pem}; }

// A client that trusts the test CA.
wamp::tls_client_config trusting_client() {
  wamp::tls_client_config c;
  c.ca_pem = pki().ca_pem;
  return c;
}

enum class transport { websocket, rawsocket };

// A listener (TLS unless `tls` is empty) echoing every message back.
struct echo_server {
  wamp::listener_ptr listener;
  std::vector<wamp::connection_ptr> accepted;
  wamp::test::connection_events events;

  echo_server(asio::io_context& io, transport t, std::optional<wamp::tls_server_config> tls,
              wamp::transport_options options = {}) {
    if (t == transport::websocket) {
      wamp::websocket_listener_options o;
      o.transport = options;
      o.tls = std::move(tls);
      listener = wamp::websocket_listener::create(io.get_executor(), "127.0.0.1", 0, o);
    } else {
      wamp::rawsocket_listener_options o;
      o.transport = options;
      o.tls = std::move(tls);
      listener = wamp::rawsocket_listener::create(io.get_executor(), "127.0.0.1", 0, o);
    }
    listener->start([this](wamp::connection_ptr c) {
      accepted.push_back(c);
      auto handler = events.handler();
      auto on_message = handler.on_message;
      handler.on_message = [on_message, weak = std::weak_ptr<wamp::connection>(c)](wamp::message&& m) {
        if (auto c = weak.lock()) c->send(m);
        on_message(std::move(m));
      };
      c->start(std::move(handler));
    });
  }

  std::string url(const std::string& scheme) const {
    const bool ws = scheme == "ws" || scheme == "wss";
    return scheme + "://127.0.0.1:" + std::to_string(listener->port()) + (ws ? "/ws" : "");
  }
};

struct connect_result {
  bool done = false;
  boost::system::error_code ec;
  wamp::connection_ptr connection;
};

connect_result connect(asio::io_context& io, const std::string& url, const wamp::tls_client_config& tls,
                       std::vector<wamp::serializer_kind> preference = {}, wamp::transport_options options = {}) {
  connect_result r;
  wamp::async_connect(io.get_executor(), url, preference, options, tls,
                      [&](const boost::system::error_code& ec, wamp::connection_ptr c) {
                        r.done = true;
                        r.ec = ec;
                        r.connection = std::move(c);
                      });
  REQUIRE(run_until(io, [&] { return r.done; }));
  return r;
}

wamp::message hello() { return wamp::publish{7, {}, "com.example.topic", {"over TLS"}}; }

// Sends one message through `r`'s connection, waits for its echo, then closes in order.
void round_trip(asio::io_context& io, echo_server& s, connect_result& r) {
  REQUIRE_FALSE(r.ec);
  REQUIRE(r.connection);
  wamp::test::connection_events client;
  r.connection->start(client.handler());
  REQUIRE_FALSE(r.connection->send(hello()));
  REQUIRE(run_until(io, [&] { return client.messages.size() == 1; }));
  CHECK(client.messages[0] == hello());
  CHECK(s.events.messages.size() == 1);
  r.connection->close();
  REQUIRE(run_until(io, [&] { return client.closes.size() == 1 && s.events.closes.size() == 1; }));
  CHECK_FALSE(client.closes[0]);
  CHECK_FALSE(s.events.closes[0]);
}

}  // namespace

TEST_CASE("wss:// and rss:// round trips with each serializer", "[integration][tls]") {
  asio::io_context io;
  const auto kind = GENERATE(wamp::serializer_kind::json, wamp::serializer_kind::msgpack);
  const auto scheme = GENERATE(as<std::string>{}, "wss", "rss", "rs+tls");
  CAPTURE(scheme, static_cast<int>(kind));
  echo_server s(io, scheme == "wss" ? transport::websocket : transport::rawsocket, server_certificate());
  auto r = connect(io, s.url(scheme), trusting_client(), {kind});
  REQUIRE_FALSE(r.ec);
  CHECK(r.connection->info().serializer == (kind == wamp::serializer_kind::json ? "json" : "msgpack"));
  round_trip(io, s, r);
}

TEST_CASE("the server's name may come from server_name instead of the URL", "[integration][tls]") {
  asio::io_context io;
  const auto t = GENERATE(transport::websocket, transport::rawsocket);
  echo_server s(io, t, server_certificate());
  auto tls = trusting_client();
  tls.server_name = "localhost";  // the certificate's DNS name; SNI is sent for it
  auto r = connect(io, s.url(t == transport::websocket ? "wss" : "rss"), tls);
  round_trip(io, s, r);
}

TEST_CASE("a client refuses an untrusted certificate and a host name mismatch", "[integration][tls]") {
  asio::io_context io;
  const auto t = GENERATE(transport::websocket, transport::rawsocket);
  echo_server s(io, t, server_certificate());
  const std::string url = s.url(t == transport::websocket ? "wss" : "rss");

  SECTION("no CA given: the test CA is not trusted") {
    const auto r = connect(io, url, wamp::tls_client_config{});
    CHECK(r.ec == wamp::errc::tls_certificate_untrusted);
    CHECK_FALSE(r.connection);
    CHECK_THAT(r.ec.message(), Catch::Contains("not trusted"));
  }
  SECTION("a trusted certificate for another name") {
    auto tls = trusting_client();
    tls.server_name = "example.com";
    const auto r = connect(io, url, tls);
    CHECK(r.ec == wamp::errc::tls_host_name_mismatch);
    CHECK_THAT(r.ec.message(), Catch::Contains("host name"));
  }
  SECTION("a trusted certificate for another IP address") {
    auto tls = trusting_client();
    tls.server_name = "127.0.0.2";
    CHECK(connect(io, url, tls).ec == wamp::errc::tls_host_name_mismatch);
  }
  SECTION("verify = false accepts it") {
    wamp::tls_client_config tls;
    tls.verify = false;
    auto r = connect(io, url, tls);
    round_trip(io, s, r);
  }
  // The server saw a failed handshake and nothing else.
  CHECK(s.accepted.size() <= 1);
}

TEST_CASE("a CA that cannot be loaded is a clear error", "[integration][tls]") {
  asio::io_context io;
  echo_server s(io, transport::websocket, server_certificate());
  wamp::tls_client_config tls;
  SECTION("PEM text") { tls.ca_pem = "not a certificate"; }
  SECTION("file") { tls.ca_file = "/nonexistent/ca.pem"; }
  CHECK(connect(io, s.url("wss"), tls).ec == wamp::errc::tls_bad_configuration);
}

TEST_CASE("plain clients and TLS listeners do not mix, and fail cleanly", "[integration][tls]") {
  asio::io_context io;
  wamp::transport_options quick;
  quick.handshake_timeout = 2s;

  SECTION("ws:// against a wss listener") {
    echo_server s(io, transport::websocket, server_certificate(), quick);
    const auto r = connect(io, s.url("ws"), {}, {}, quick);
    CHECK(r.ec);
    CHECK(s.accepted.empty());
  }
  SECTION("rs:// against an rss listener") {
    // A TLS record header is 5 octets and RawSocket's handshake 4: the server waits for
    // more, so this one ends with the handshake timeout.
    echo_server s(io, transport::rawsocket, server_certificate(), quick);
    const auto r = connect(io, s.url("rs"), {}, {}, quick);
    CHECK(r.ec);
    CHECK(s.accepted.empty());
  }
  SECTION("wss:// against a ws listener") {
    echo_server s(io, transport::websocket, std::nullopt, quick);
    const auto r = connect(io, s.url("wss"), trusting_client(), {}, quick);
    CHECK(r.ec);
    CHECK(s.accepted.empty());
  }
  SECTION("rss:// against an rs listener") {
    echo_server s(io, transport::rawsocket, std::nullopt, quick);
    const auto r = connect(io, s.url("rss"), trusting_client(), {}, quick);
    CHECK(r.ec);
    CHECK(s.accepted.empty());
  }
}

TEST_CASE("a listener refuses an unusable certificate with its reason", "[unit][tls]") {
  asio::io_context io;
  wamp::rawsocket_listener_options o;
  SECTION("no certificate") {
    o.tls = wamp::tls_server_config{"", pki().server_key_pem};
    CHECK_THROWS_WITH(wamp::rawsocket_listener::create(io.get_executor(), "127.0.0.1", 0, o),
                      Catch::Contains("no server certificate"));
  }
  SECTION("garbage certificate") {
    o.tls = wamp::tls_server_config{"garbage", pki().server_key_pem};
    CHECK_THROWS_WITH(wamp::rawsocket_listener::create(io.get_executor(), "127.0.0.1", 0, o),
                      Catch::Contains("certificate chain"));
  }
  SECTION("a key of another certificate") {
    const auto other = wamp::test::test_pki::make();
    o.tls = wamp::tls_server_config{pki().server_chain_pem, other.server_key_pem};
    CHECK_THROWS_WITH(wamp::rawsocket_listener::create(io.get_executor(), "127.0.0.1", 0, o),
                      Catch::Contains("does not match"));
  }
}

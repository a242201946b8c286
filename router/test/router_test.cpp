// The router under its Asio layer: clients of //testing's fixture over every transport and
// serializer, and a plain WAMP peer over a real in-process connection (serialized bytes) for
// what a client library would never send.
#include "router/router.hpp"

#include <array>
#include <atomic>
#include <future>
#include <limits>

#include <catch2/catch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "router/uris.hpp"
#include "testing/eventually.hpp"
#include "testing/matchers.hpp"
#include "testing/wamp_fixture.hpp"
#include "wamp/transport/inprocess.hpp"

namespace wamp = autobahn_sync::wamp;
namespace router = autobahn_sync::router;
namespace testing = autobahn_sync::testing;
namespace asio = boost::asio;
using autobahn_sync::call_result;
using autobahn_sync::invocation_details;

namespace {

// A WAMP peer on its own io_context, run by the test thread: send, then run until the
// expected number of messages arrived (with a deadline as a hang guard only).
class client_peer {
 public:
  client_peer(router::router& r, const wamp::serializer* s = &wamp::json_serializer())
      : connection_(r.connect_inprocess(io_.get_executor(), s)) {
    connection_->start({[this](wamp::message&& m) { inbox_.push_back(std::move(m)); }, nullptr,
                        [this](const boost::system::error_code& ec) {
                          closed_ = true;
                          close_error_ = ec;
                        }});
  }

  void send(const wamp::message& m) { REQUIRE_FALSE(connection_->send(m)); }

  template <class T>
  T next() {
    run_until([&] { return !inbox_.empty(); });
    REQUIRE_FALSE(inbox_.empty());
    auto m = std::move(inbox_.front());
    inbox_.pop_front();
    REQUIRE(std::holds_alternative<T>(m));
    return std::get<T>(std::move(m));
  }

  void run_until(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io_.run_for(std::chrono::milliseconds(10));
      io_.restart();
    }
  }

  wamp::welcome join() {
    send(wamp::hello{"realm1", {{"roles", {{"caller", wamp::value::object()}, {"callee", wamp::value::object()}}}}});
    return next<wamp::welcome>();
  }

  bool closed() {
    run_until([&] { return closed_; });
    return closed_;
  }
  wamp::connection& connection() { return *connection_; }

 private:
  asio::io_context io_;
  wamp::connection_ptr connection_;
  std::deque<wamp::message> inbox_;
  bool closed_ = false;
  boost::system::error_code close_error_;
};

router::router_config one_realm() {
  router::router_config c;
  c.realms.push_back({"realm1"});
  return c;
}

}  // namespace

TEST_CASE("clients join, register and call through a router on its own thread", "[integration]") {
  testing::fixture_options options;
  options.serializer = GENERATE(&wamp::json_serializer(), &wamp::msgpack_serializer(), nullptr);
  testing::wamp_fixture f(options);
  f.session("callee").register_procedure("com.example.echo", [](const wamp::list& a, const wamp::dict&,
                                                                const invocation_details&) { return call_result{a}; });
  const auto result = f.session("caller").call("com.example.echo", {"hello", wamp::value::binary({1, 2})});
  CHECK(result.args == wamp::list{"hello", wamp::value::binary({1, 2})});
  CHECK(f.the_router().connection_count() == 2);
  CHECK(f.the_router().with_core([](router::router_core& core) { return core.find_realm("realm1")->sessions().size(); }) == 2);
}

TEST_CASE("undecodable bytes get ABORT protocol_violation and the connection closed", "[integration]") {
  router::router r(one_realm());
  client_peer p(r);
  p.join();
  dynamic_cast<wamp::inprocess_connection&>(p.connection()).send_bytes("[48, \"not an id\"");
  CHECK(p.next<wamp::abort>().reason == router::uris::protocol_violation);
  CHECK(p.closed());
}

TEST_CASE("a client that goes away frees its session", "[integration]") {
  router::router r(one_realm());
  {
    client_peer p(r);
    p.join();
    p.connection().close_abruptly();
    CHECK(p.closed());
  }
  // The router's end was told before the client's end (both posted by close_abruptly), and
  // connection_count() queues behind it on the router's strand.
  CHECK(r.connection_count() == 0);
}

TEST_CASE("stop says GOODBYE to every session and closes every connection", "[integration]") {
  auto r = std::make_unique<router::router>(one_realm());
  client_peer joined(*r), idle(*r);
  joined.join();
  r->stop();
  CHECK(joined.next<wamp::goodbye>().reason == router::uris::system_shutdown);
  CHECK(joined.closed());
  CHECK(idle.closed());
  r.reset();
}

TEST_CASE("realms can be added and removed while clients are connected", "[integration]") {
  router::router r;
  client_peer p(r);
  p.send(wamp::hello{"late", {}});
  CHECK(p.next<wamp::abort>().reason == router::uris::no_such_realm);
  r.add_realm({"late"});
  p.send(wamp::hello{"late", {}});
  p.next<wamp::welcome>();
  CHECK(r.remove_realm("late"));
  CHECK(p.next<wamp::goodbye>().reason == router::uris::close_realm);
  CHECK_THROWS_AS(r.set_authorizer("late", nullptr), router::config_error);
}

TEST_CASE("a router on the caller's io_context", "[integration]") {
  asio::io_context io;
  router::router r(io, one_realm());
  auto client = r.connect_inprocess(io.get_executor());
  std::vector<wamp::message> got;
  client->start({[&](wamp::message&& m) { got.push_back(std::move(m)); }, nullptr, nullptr});
  asio::post(io, [&] { client->send(wamp::hello{"realm1", {}}); });
  io.run_for(std::chrono::milliseconds(200));
  REQUIRE(got.size() == 1);
  CHECK(std::holds_alternative<wamp::welcome>(got[0]));
}

TEST_CASE_METHOD(testing::wamp_fixture, "call timeouts fire on a real clock", "[integration]") {
  // The callee answers only once the router gave up on the call (its INTERRUPT).
  session("callee").register_procedure("slow", [](const wamp::list&, const wamp::dict&, const invocation_details& d) {
    testing::eventually([&] { return d.canceled(); });
    return call_result{};
  });
  autobahn_sync::call_options o;
  o.router_timeout = std::chrono::milliseconds(1);
  CHECK_THROWS_MATCHES(session("caller").call("slow", {}, {}, o), autobahn_sync::ApplicationError,
                       testing::has_error_uri(std::string(router::uris::timeout)));
  // The router's ERROR, not the client's own call timeout (same URI, 30 s later).
  const auto errors = trace().of_type(wamp::message_type::error, testing::direction::to_client, "caller");
  REQUIRE(errors.size() == 1);
  CHECK(std::get<wamp::error>(errors[0].msg).error_uri == router::uris::timeout);
}

TEST_CASE("clients join over loopback RawSocket and WebSocket with each serializer", "[integration]") {
  const auto variant = GENERATE(filter([](const testing::transport_variant& v) {
    return v.transport != testing::fixture_transport::inprocess;
  }, from_range(testing::all_transports())));
  INFO(variant.name());
  testing::wamp_fixture f(variant.apply());
  f.session("client");
  CHECK(f.the_router().with_core([](router::router_core& core) {
    const auto* s = core.find_session(*core.find_realm("realm1")->sessions().begin());
    return s->transport.type;
  }) == testing::to_string(variant.transport));
  f.the_router().stop();
  REQUIRE(testing::eventually([&] {
    return !f.trace().of_type(wamp::message_type::goodbye, testing::direction::to_client, "client").empty();
  }));
  const auto goodbye = f.trace().of_type(wamp::message_type::goodbye, testing::direction::to_client, "client");
  CHECK(std::get<wamp::goodbye>(goodbye.at(0).msg).reason == router::uris::system_shutdown);
}

TEST_CASE("a busy-polling router serves clients over loopback RawSocket and stops", "[integration]") {
  router::router_options options;
  options.busy_poll = std::chrono::microseconds(200);
  router::router r({{{"realm1"}}}, options);
  const std::string url = "rs://127.0.0.1:" + std::to_string(r.listen_rawsocket());
  autobahn_sync::client_options client;
  client.serializers = {wamp::serializer_kind::msgpack};
  autobahn_sync::AutobahnSync callee({}, client);
  callee.register_procedure("com.echo", [](const wamp::list& args, const wamp::dict&, const invocation_details&) {
    return call_result{args};
  });
  callee.run(url, "realm1");
  autobahn_sync::AutobahnSync caller({}, client);
  caller.run(url, "realm1");
  for (int i = 0; i < 50; ++i) REQUIRE(caller.session().call("com.echo", {i}).value() == i);
  caller.stop();
  callee.stop();
  r.stop();  // joins the router's thread, polling or asleep
  CHECK(r.with_core([](router::router_core& core) { return core.find_realm("realm1")->sessions().size(); }) == 0);
}

TEST_CASE("a socket in its RawSocket handshake counts as a handshake in progress until served", "[integration]") {
  router::router r({{{"realm1"}}});
  const auto port = r.listen_rawsocket("127.0.0.1", 0);
  CHECK(r.handshakes_in_progress() == 0);
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), port});
  // JSON, the largest message size; the router's reply proves it accepted the socket.
  const std::array<unsigned char, 4> hello{0x7f, 0xf1, 0, 0};
  asio::write(socket, asio::buffer(hello));
  std::array<unsigned char, 4> reply{};
  asio::read(socket, asio::buffer(reply));
  CHECK(reply[0] == 0x7f);
  // Between the reply and the hand-over the socket is a handshake; after it, a connection.
  // Read in this order, no handshake in progress means the connection is counted already
  // (what lets a test wait for "nothing left" without missing a late one).
  const auto handshakes = r.handshakes_in_progress();
  const auto connections = r.connection_count();
  CHECK((handshakes == 1 || connections == 1));
  socket.close();
}

TEST_CASE("wrap_accepted sees every accepted connection, and the router serves what it returns", "[integration]") {
  std::atomic<int> wrapped{0};
  std::atomic<int> sent_through_wrapper{0};
  // A decorator that counts what the router sends through it.
  struct counting : wamp::connection {
    wamp::connection_ptr inner;
    std::atomic<int>* sent;
    executor_type get_executor() const override { return inner->get_executor(); }
    const wamp::connection_info& info() const noexcept override { return inner->info(); }
    void start(wamp::connection_handler h) override { inner->start(std::move(h)); }
    boost::system::error_code send(const wamp::message& m) override {
      ++*sent;
      return inner->send(m);
    }
    void close() override { inner->close(); }
    void close_abruptly() override { inner->close_abruptly(); }
  };
  router::router_options options;
  options.wrap_accepted = [&](wamp::connection_ptr c) -> wamp::connection_ptr {
    ++wrapped;
    auto d = std::make_shared<counting>();
    d->inner = std::move(c);
    d->sent = &sent_through_wrapper;
    return d;
  };
  router::router r({{{"realm1"}}}, options);
  const auto rs = r.listen_rawsocket("127.0.0.1", 0);
  const auto ws = r.listen_websocket("127.0.0.1", 0, "/ws");
  for (const auto& url : {"rs://127.0.0.1:" + std::to_string(rs), "ws://127.0.0.1:" + std::to_string(ws) + "/ws"}) {
    autobahn_sync::AutobahnSync app;
    app.run(url, "realm1");
    CHECK(app.session().is_joined());
    app.stop();
  }
  CHECK(wrapped.load() == 2);
  CHECK(sent_through_wrapper.load() >= 4);  // a WELCOME and a GOODBYE on each
}

TEST_CASE("a payload one peer's serializer cannot carry fails the call instead of vanishing", "[integration]") {
  // NaN travels in MsgPack but not in JSON: the router cannot hand it to a JSON peer, and says
  // so to the caller rather than leaving it to wait.
  testing::wamp_fixture f(testing::transport_variant{testing::fixture_transport::rawsocket,
                                                     wamp::serializer_kind::msgpack}.apply());
  autobahn_sync::client_options json_only;
  json_only.serializers = {wamp::serializer_kind::json};
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::atomic<int> json_callee_invoked{0};
  autobahn_sync::AutobahnSync json_callee({}, f.options_for("json_callee", json_only));
  json_callee.register_procedure("com.json.echo", [&](const wamp::list& args, const wamp::dict&, const invocation_details&) {
    ++json_callee_invoked;
    return call_result{args};
  });
  json_callee.run(f.url(), f.realm_name());
  autobahn_sync::AutobahnSync json_caller({}, f.options_for("json_caller", json_only));
  json_caller.run(f.url(), f.realm_name());
  f.session("msgpack_callee").register_procedure("com.msgpack.nan",
      [nan](const wamp::list&, const wamp::dict&, const invocation_details&) { return call_result{{nan}}; });
  REQUIRE(f.the_router().with_core([&](router::router_core& core) {
    return core.find_session(json_caller.session().id())->transport.serializer;
  }) == "json");
  SECTION("an INVOCATION the JSON callee cannot receive") {
    CHECK_THROWS_MATCHES(f.session("msgpack_caller").call("com.json.echo", {nan}), autobahn_sync::ApplicationError,
                         testing::has_error_uri(router::uris::invalid_argument));
    CHECK(json_callee_invoked == 0);
    CHECK(f.session("msgpack_caller").call("com.json.echo", {1.5}).value() == 1.5);  // both still there
  }
  SECTION("a RESULT the JSON caller cannot receive") {
    CHECK_THROWS_MATCHES(json_caller.session().call("com.msgpack.nan"), autobahn_sync::ApplicationError,
                         testing::has_error_uri(router::uris::invalid_argument));
    CHECK(json_caller.session().call("com.json.echo", {"still here"}).value() == "still here");
  }
  f.stop_clients();
  json_caller.stop();
  json_callee.stop();
}

// The in-process transport: order, serialization on the way, limits, bad bytes, and both ways
// of closing.
#include "wamp/transport/inprocess.hpp"

#include <catch2/catch.hpp>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/error.hpp>

namespace wamp = autobahn_sync::wamp;
namespace asio = boost::asio;

namespace {

struct recorder {
  std::vector<wamp::message> messages;
  std::vector<boost::system::error_code> bad;
  std::vector<boost::system::error_code> closes;
  wamp::connection_handler handler() {
    return {[this](wamp::message&& m) { messages.push_back(std::move(m)); },
            [this](const boost::system::error_code& ec, const std::string&) { bad.push_back(ec); },
            [this](const boost::system::error_code& ec) { closes.push_back(ec); }};
  }
};

const wamp::serializer* serializer_named(const std::string& name) {
  return name == "none" ? nullptr : wamp::find_serializer(name);
}

}  // namespace

TEST_CASE("messages arrive in order, through the serializer or not", "[unit]") {
  const std::string name = GENERATE("wamp.2.json", "wamp.2.msgpack", "none");
  asio::io_context io;
  auto [a, b] = wamp::make_inprocess_pair(io.get_executor(), io.get_executor(), serializer_named(name));
  recorder ra, rb;
  a->start(ra.handler());
  b->start(rb.handler());
  for (wamp::id i = 1; i <= 100; ++i) REQUIRE_FALSE(a->send(wamp::call{i, {}, "com.example.f", {i}}));
  REQUIRE_FALSE(b->send(wamp::result{1, {}, {wamp::value::binary({1, 2, 3})}}));
  io.run();
  REQUIRE(rb.messages.size() == 100);
  for (wamp::id i = 1; i <= 100; ++i) CHECK(std::get<wamp::call>(rb.messages[i - 1]).request == i);
  REQUIRE(ra.messages.size() == 1);
  CHECK(std::get<wamp::result>(ra.messages[0]).args[0] == wamp::value::binary({1, 2, 3}));
  CHECK(a->info().transport == "inprocess");
  CHECK(a->info().serializer == (name == "wamp.2.msgpack" ? "msgpack" : name == "none" ? "none" : "json"));
}

TEST_CASE("the two ends may run on different threads' executors", "[unit]") {
  asio::io_context io_a, io_b;
  auto [a, b] = wamp::make_inprocess_pair(io_a.get_executor(), io_b.get_executor());
  recorder rb;
  std::thread::id receiver_thread;
  b->start({[&](wamp::message&&) { receiver_thread = std::this_thread::get_id(); }, nullptr, nullptr});
  REQUIRE_FALSE(a->send(wamp::hello{"realm1", {}}));
  std::thread t([&] { io_b.run(); });
  const auto runner = t.get_id();
  t.join();
  CHECK(receiver_thread == runner);
}

TEST_CASE("a message over the size limit is refused on send and nothing else changes", "[unit]") {
  asio::io_context io;
  wamp::transport_options options;
  options.max_message_size = 100;
  auto [a, b] = wamp::make_inprocess_pair(io.get_executor(), io.get_executor(), &wamp::msgpack_serializer(), options);
  recorder rb;
  b->start(rb.handler());
  CHECK(a->send(wamp::call{1, {}, "f", {std::string(200, 'x')}}) == wamp::errc::message_too_large);
  CHECK_FALSE(a->send(wamp::call{2, {}, "f", {"small"}}));
  io.run();
  REQUIRE(rb.messages.size() == 1);
  CHECK(std::get<wamp::call>(rb.messages[0]).request == 2);
  CHECK(rb.closes.empty());
}

TEST_CASE("undecodable bytes reach on_bad_message and the connection stays open", "[unit]") {
  asio::io_context io;
  auto [a, b] = wamp::make_inprocess_pair(io.get_executor(), io.get_executor());
  recorder rb;
  b->start(rb.handler());
  a->send_bytes("[1, \"realm1\"");
  a->send_bytes("[999]");
  REQUIRE_FALSE(a->send(wamp::goodbye{{}, "wamp.close.normal"}));
  io.run();
  REQUIRE(rb.bad.size() == 2);
  CHECK(rb.bad[0] == wamp::errc::malformed);
  CHECK(rb.bad[1] == wamp::errc::unknown_message_type);
  CHECK(rb.messages.size() == 1);
}

TEST_CASE("close delivers what was sent, then closes both ends once", "[unit]") {
  asio::io_context io;
  auto [a, b] = wamp::make_inprocess_pair(io.get_executor(), io.get_executor());
  recorder ra, rb;
  a->start(ra.handler());
  b->start(rb.handler());
  REQUIRE_FALSE(a->send(wamp::goodbye{{}, "wamp.close.normal"}));
  a->close();
  a->close();
  CHECK(a->send(wamp::goodbye{{}, "x"}) == wamp::errc::not_connected);
  io.run();
  CHECK(rb.messages.size() == 1);
  REQUIRE(ra.closes.size() == 1);
  REQUIRE(rb.closes.size() == 1);
  CHECK_FALSE(ra.closes[0]);
  CHECK_FALSE(rb.closes[0]);
  CHECK(b->send(wamp::goodbye{{}, "x"}) == wamp::errc::not_connected);
}

TEST_CASE("close_abruptly drops what is on its way and reports a reset to the peer", "[unit]") {
  asio::io_context io;
  auto [a, b] = wamp::make_inprocess_pair(io.get_executor(), io.get_executor());
  recorder ra, rb;
  a->start(ra.handler());
  b->start(rb.handler());
  REQUIRE_FALSE(a->send(wamp::publish{1, {}, "t"}));
  a->close_abruptly();
  io.run();
  CHECK(rb.messages.empty());
  REQUIRE(rb.closes.size() == 1);
  CHECK(rb.closes[0] == asio::error::connection_reset);
  REQUIRE(ra.closes.size() == 1);
  CHECK(ra.closes[0]);
}

TEST_CASE("an end destroyed without closing leaves the peer safe", "[unit]") {
  asio::io_context io;
  auto pair = wamp::make_inprocess_pair(io.get_executor(), io.get_executor());
  recorder rb;
  pair.second->start(rb.handler());
  pair.first.reset();
  CHECK_FALSE(pair.second->send(wamp::hello{"r", {}}));
  io.run();
  CHECK(rb.messages.empty());
}

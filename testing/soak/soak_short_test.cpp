// The CI-sized soak: 50 sessions over RawSocket and WebSocket, 20,000 calls and 20,000
// events through the embedded router, every message checked end to end (see soak.hpp).
#include "testing/soak/soak.hpp"

#include <catch2/catch.hpp>

namespace soak = autobahn_sync::testing::soak;
namespace wamp = autobahn_sync::wamp;

namespace {

soak::soak_options short_options(wamp::serializer_kind serializer) {
  soak::soak_options o;
  o.sessions = 50;
  o.calls = 20'000;
  o.events = 20'000;
  o.serializer = serializer;
  o.max_duration = std::chrono::seconds(120);
  return o;
}

}  // namespace

TEST_CASE("a short soak over both transports loses, duplicates and misroutes nothing",
          "[soak][integration]") {
  const auto report = soak::run_soak(short_options(wamp::serializer_kind::msgpack));
  INFO(report.describe());
  CHECK(report.sessions_joined == 50);
  CHECK(report.calls_made == 20'000);
  CHECK(report.calls_ok == 20'000);
  CHECK(report.invocations_received == 20'000);
  CHECK(report.events_expected >= 20'000);
  CHECK(report.events_received == report.events_expected);
  CHECK(report.losses() == 0);
  CHECK_FALSE(report.timed_out);
  CHECK(report.router_state_freed);
  CHECK(report.memory_flat);
  CHECK(report.ok());
}

TEST_CASE("a short soak with JSON loses, duplicates and misroutes nothing",
          "[soak][integration]") {
  auto options = short_options(wamp::serializer_kind::json);
  options.calls = 2'000;
  options.events = 2'000;
  const auto report = soak::run_soak(options);
  INFO(report.describe());
  CHECK(report.calls_ok == 2'000);
  CHECK(report.events_received == report.events_expected);
  CHECK(report.losses() == 0);
  CHECK(report.ok());
}

TEST_CASE("a soak that cannot finish in time reports a timeout and fails", "[soak]") {
  auto options = short_options(wamp::serializer_kind::msgpack);
  options.sessions = 4;
  options.max_duration = std::chrono::seconds(0);
  const auto report = soak::run_soak(options);
  INFO(report.describe());
  CHECK(report.timed_out);
  CHECK_FALSE(report.ok());
  // The clients that did start were stopped and the router freed everything.
  CHECK(report.router_state_freed);
}

TEST_CASE("the soak's command line reads every flag and rejects bad ones", "[soak][unit]") {
  const auto c = soak::parse_command_line({"--sessions", "10", "--calls=5", "--events", "7",
                                           "--transports", "websocket", "--serializer", "json",
                                           "--max-seconds", "3"});
  CHECK(c.options.sessions == 10);
  CHECK(c.options.calls == 5);
  CHECK(c.options.events == 7);
  CHECK(c.options.transports == std::vector{soak::transport_kind::websocket});
  CHECK(c.options.serializer == wamp::serializer_kind::json);
  CHECK(c.options.max_duration == std::chrono::seconds(3));
  CHECK_THROWS_AS(soak::parse_command_line({"--sessions", "-1"}), std::invalid_argument);
  CHECK_THROWS_AS(soak::parse_command_line({"--transports", "udp"}), std::invalid_argument);
  CHECK_THROWS_AS(soak::parse_command_line({"--calls"}), std::invalid_argument);
  CHECK_THROWS_AS(soak::parse_command_line({"--frobnicate", "1"}), std::invalid_argument);
  CHECK(soak::parse_command_line({"--help"}).help);
}

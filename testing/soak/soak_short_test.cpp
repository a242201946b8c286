// The CI-sized soak: 50 sessions over RawSocket and WebSocket, 20,000 calls and 20,000
// events through the embedded router, every message checked end to end (see soak.hpp).
#include "testing/soak/soak.hpp"

#include <catch2/catch.hpp>

#include "testing/fault_plan.hpp"
#include "testing/faulty_connection.hpp"

namespace soak = autobahn_sync::testing::soak;
namespace wamp = autobahn_sync::wamp;
namespace faults = autobahn_sync::testing;

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

// A small soak whose clients' connections pass `plan` (on the client's end).
soak::soak_options faulty_options(std::shared_ptr<faults::fault_plan> plan) {
  auto options = short_options(wamp::serializer_kind::msgpack);
  options.sessions = 10;
  options.calls = 200;
  options.events = 1'000;
  options.drain_timeout = std::chrono::seconds(1);
  options.wrap_client_connection = [plan](wamp::connection_ptr c, int session) {
    return faults::faulty_connection::wrap(std::move(c), "session " + std::to_string(session), plan,
                                          nullptr, nullptr, faults::faulty_connection::end::client);
  };
  return options;
}

TEST_CASE("the soak counts an event the network dropped as lost", "[soak][integration]") {
  auto plan = faults::fault_plan::create();
  auto rule = plan->install(faults::match().type(wamp::message_type::event).to_client().nth(500),
                            faults::fault::drop(), "drop the 500th EVENT");
  const auto report = soak::run_soak(faulty_options(plan));
  INFO(report.describe());
  REQUIRE(rule.hits() == 1);
  CHECK(report.calls_ok == 200);
  CHECK(report.events_received == report.events_expected - 1);
  CHECK(report.events_lost == 1);
  // The publisher's next event comes after the gap (none when the dropped one was its last).
  CHECK(report.events_out_of_order <= 1);
  CHECK(report.events_duplicated == 0);
  CHECK(report.losses() >= 1);
  CHECK_FALSE(report.ok());
}

TEST_CASE("the soak counts an event delivered twice as duplicated", "[soak][integration]") {
  auto plan = faults::fault_plan::create();
  auto rule = plan->install(faults::match().type(wamp::message_type::event).to_client().nth(500),
                            faults::fault::duplicate(), "duplicate the 500th EVENT");
  const auto report = soak::run_soak(faulty_options(plan));
  INFO(report.describe());
  REQUIRE(rule.hits() == 1);
  CHECK(report.events_received == report.events_expected + 1);
  CHECK(report.events_duplicated == 1);
  CHECK(report.events_lost == 0);
  CHECK_FALSE(report.ok());
}

TEST_CASE("a soak that cannot finish in time reports a timeout and fails", "[soak]") {
  auto options = short_options(wamp::serializer_kind::msgpack);
  options.sessions = 4;
  options.max_duration = std::chrono::seconds(0);
  const auto report = soak::run_soak(options);
  INFO(report.describe());
  CHECK(report.timed_out);
  CHECK_FALSE(report.ok());
  // Sessions whose join was cut short still close their connections.
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

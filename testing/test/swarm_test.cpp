// swarm: a bounded run in CI (20 seeds of the standard workload with random faults), and a
// planted bug it must find.
#include "testing/swarm.hpp"

#include <catch2/catch.hpp>

namespace testing = autobahn_sync::testing;

TEST_CASE("a bounded swarm: random faults, then healing, and the system recovers", "[swarm]") {
  testing::swarm_options options;
  options.seeds = 20;
  const auto report = testing::swarm(testing::standard_workload(), options);
  INFO(report.describe());
  CHECK(report.runs == 20);
  CHECK(report.ok());
}

TEST_CASE("swarm reports a failing seed with its replay command", "[swarm]") {
  // A workload that breaks recovery on purpose: it leaves a procedure registered under the
  // name the recovery check needs, from a session that then stalls every INVOCATION.
  testing::swarm_options options;
  options.seeds = 2;
  options.first_seed = 7;
  const auto report = testing::swarm(
      [](testing::wamp_fixture& f, std::mt19937_64&) {
        f.session("squatter").register_procedure("swarm.recovery", [](auto&&...) {
          throw autobahn_sync::ApplicationError("com.example.broken");
          return autobahn_sync::call_result{};
        });
      },
      options);
  REQUIRE(report.failures.size() == 2);
  CHECK(report.failures[0].seed == 7);
  CHECK(report.failures[0].what.find("no recovery after healing") != std::string::npos);
  CHECK(report.describe().find("SWARM_SEED=7") != std::string::npos);
}

// swarm: a bounded run in CI (20 seeds of the standard workload with random faults), and a
// planted bug it must find, and faults drawn for every client.
#include "testing/swarm.hpp"

#include <set>
#include <string>

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

TEST_CASE("swarm draws faults for every client the workload names", "[swarm]") {
  // Only the drawn rules matter here: a workload that does nothing, run on seeds 1..20.
  testing::swarm_options options;
  options.clients = 5;
  std::set<std::string> targets;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    testing::wamp_fixture f(testing::swarm_fixture_options(options, seed));
    std::string faults;
    testing::swarm_run([](testing::wamp_fixture&, std::mt19937_64&) {}, options, seed, f, &faults);
    for (const auto* client : {"c0", "c1", "c2", "c3", "c4", "c5"}) {
      if (faults.find(std::string("session=") + client + " ") != std::string::npos) targets.insert(client);
    }
  }
  CHECK(targets == std::set<std::string>{"c0", "c1", "c2", "c3", "c4"});
}

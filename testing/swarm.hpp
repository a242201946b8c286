// `swarm`: runs a workload under N seeds, each with faults drawn at random from the seed
// (drop, duplicate, transport loss before/after, hold), then heals everything (removes every
// rule, releasing what was held) and requires recovery: every blocked call has returned, a
// fresh session can join and call, the trace invariants hold, and nothing leaks once the
// clients stop. A failing seed is reported with the command line that replays it:
// SWARM_SEED=<seed> narrows a swarm test to that seed.
//
//   auto report = testing::swarm(testing::standard_workload(), {.seeds = 20});
//   INFO(report.describe());
//   CHECK(report.ok());
//
// The fault schedule and the workload's choices come from the seed. With real threads
// (the default) thread timing does not, so a seed replays the same faults at the same
// protocol steps, not always the same interleaving; with swarm_options::fixture.simulation
// a seed replays the same run exactly (check_deterministic, determinism.hpp, verifies it).
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "testing/explore.hpp"
#include "testing/wamp_fixture.hpp"
#include "wamp/seeded_draw.hpp"

namespace autobahn_sync::testing {

/// A workload: uses the fixture's clients, drawing its choices from `rng`; tolerates the WAMP
/// errors faults cause (catches autobahn_sync::Error). Draw through wamp::draw (seeded_draw.hpp)
/// for a seed that replays the same on every standard library.
using swarm_workload = std::function<void(wamp_fixture&, std::mt19937_64& rng)>;

/// `clients` sessions, each registering a procedure and subscribing to a topic, then `ops`
/// random operations: calls to each other's procedures, publications (acknowledged or not),
/// unsubscribing and subscribing again. Its handlers are watched (wamp_fixture::watched_handler),
/// so the trace invariants also check that none starts after its client stopped.
swarm_workload standard_workload(int clients = 3, int ops = 30);

struct swarm_options {
  std::uint64_t first_seed = 1;
  int seeds = 10;
  int faults_per_run = 3;
  /// How many clients the workload uses, named c0, c1, ... (standard_workload's `clients`):
  /// each drawn fault targets one of them, or any session.
  int clients = 3;
  fixture_options fixture;
  /// Client timeouts (a dropped answer costs this much).
  std::chrono::milliseconds timeout = std::chrono::milliseconds(300);
};

struct swarm_failure {
  std::uint64_t seed;
  std::string faults;  // the rules that were installed
  std::string what;
  std::string trace;
};

struct swarm_report {
  int runs = 0;
  std::vector<swarm_failure> failures;
  bool ok() const noexcept { return failures.empty(); }
  /// Every failing seed with its replay command; the first one's trace.
  std::string describe() const;
};

/// Runs `workload` once per seed (or only SWARM_SEED when that variable is set).
swarm_report swarm(const swarm_workload& workload, swarm_options options = {});

/// The fixture options of the run of `seed` (options.fixture with the swarm's timeouts).
fixture_options swarm_fixture_options(const swarm_options& options, std::uint64_t seed);
/// One run of a swarm on `f` (made with swarm_fixture_options): draws the faults from `seed`,
/// runs the workload, heals, checks recovery, stops the clients, checks invariants and leaks.
/// Returns what went wrong ("" when nothing did); `faults` receives the drawn rules.
std::string swarm_run(const swarm_workload& workload, const swarm_options& options, std::uint64_t seed,
                      wamp_fixture& f, std::string* faults = nullptr);

}  // namespace autobahn_sync::testing

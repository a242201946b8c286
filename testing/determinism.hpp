// `check_deterministic`: runs a scenario twice in simulation mode with the same seed and
// compares the message traces (sequence, virtual time, session, direction, type, payload,
// the acting rule). Equal traces give equal hashes; on a mismatch the report shows the first
// message where the two runs diverge, from both runs. A nondeterministic scenario (a value
// not drawn from the seed, a wall-clock read, an unordered iteration) is caught so. The
// interleaving the seed picks (fixture_options::ready_order) is part of what must replay.
//
//   const auto report = testing::check_deterministic(my_scenario, 1234);
//   INFO(report.describe());
//   CHECK(report.ok());
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "testing/message_trace.hpp"
#include "testing/wamp_fixture.hpp"

namespace autobahn_sync::testing {

struct determinism_report {
  std::uint64_t seed = 0;
  std::uint64_t hash = 0;        // of the first run's trace
  std::uint64_t second_hash = 0;
  std::size_t messages = 0;      // in the first run
  std::size_t second_messages = 0;
  /// The index (0-based) of the first entry that differs, when the traces differ.
  std::optional<std::size_t> diverged_at;
  std::string first_line, second_line;  // that entry in each run ("(none)" past the end)
  std::string first_outcome, second_outcome;  // "" or what the scenario threw

  bool ok() const noexcept { return hash == second_hash && first_outcome == second_outcome; }
  /// "deterministic: N messages, hash H" or the divergence and the replay command.
  std::string describe() const;
};

/// A hash of every entry's sequence, virtual time, session, direction, message and rule.
std::uint64_t trace_hash(const std::vector<trace_entry>& trace);

/// Runs `scenario` on two fresh simulated fixtures (`base` with simulation on and `seed`),
/// stops their clients, and compares the traces. The scenario may throw: what it threw is
/// compared too.
determinism_report check_deterministic(const std::function<void(wamp_fixture&)>& scenario, std::uint64_t seed,
                                       fixture_options base = {});

}  // namespace autobahn_sync::testing

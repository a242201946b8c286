#include "testing/determinism.hpp"

#include <algorithm>

namespace autobahn_sync::testing {
namespace {

struct run_result {
  std::vector<trace_entry> trace;
  std::string outcome;
};

run_result run_once(const std::function<void(wamp_fixture&)>& scenario, std::uint64_t seed, fixture_options options) {
  options.simulation = true;
  options.seed = seed;
  run_result r;
  wamp_fixture f(options);
  f.check_leaks(false);  // the check is about the trace; leaks are the scenario's business
  try {
    scenario(f);
  } catch (const std::exception& e) {
    r.outcome = std::string("threw: ") + e.what();
  }
  f.stop_clients();
  f.sim()->run_ready();
  r.trace = f.trace().entries();
  return r;
}

}  // namespace

std::uint64_t trace_hash(const std::vector<trace_entry>& trace) {
  // FNV-1a over each entry's JSON line (sequence, time, session, direction, type, message,
  // rule, note), with a separator between entries.
  std::uint64_t h = 1469598103934665603ull;
  for (const auto& e : trace) {
    for (unsigned char c : e.to_json()) {
      h ^= c;
      h *= 1099511628211ull;
    }
    h ^= 0xff;
    h *= 1099511628211ull;
  }
  return h;
}

std::string determinism_report::describe() const {
  if (ok()) {
    return "deterministic: seed " + std::to_string(seed) + ", " + std::to_string(messages) + " messages, hash " +
           std::to_string(hash);
  }
  std::string text = "NOT deterministic with seed " + std::to_string(seed) + ": hashes " + std::to_string(hash) +
                     " and " + std::to_string(second_hash) + " (" + std::to_string(messages) + " and " +
                     std::to_string(second_messages) + " messages)\n";
  if (diverged_at) {
    text += "first divergence at message " + std::to_string(*diverged_at + 1) + ":\n  run 1: " + first_line +
            "\n  run 2: " + second_line + "\n";
  }
  if (first_outcome != second_outcome) {
    text += "the scenario ended differently:\n  run 1: " + (first_outcome.empty() ? "returned" : first_outcome) +
            "\n  run 2: " + (second_outcome.empty() ? "returned" : second_outcome) + "\n";
  }
  text += "replay one run: " + replay_command(seed, current_test_name()) + "\n";
  return text;
}

determinism_report check_deterministic(const std::function<void(wamp_fixture&)>& scenario, std::uint64_t seed,
                                       fixture_options base) {
  const auto first = run_once(scenario, seed, base);
  const auto second = run_once(scenario, seed, base);
  determinism_report report;
  report.seed = seed;
  report.hash = trace_hash(first.trace);
  report.second_hash = trace_hash(second.trace);
  report.messages = first.trace.size();
  report.second_messages = second.trace.size();
  report.first_outcome = first.outcome;
  report.second_outcome = second.outcome;
  if (report.hash != report.second_hash) {
    const auto n = std::max(first.trace.size(), second.trace.size());
    for (std::size_t i = 0; i < n; ++i) {
      const bool in_first = i < first.trace.size(), in_second = i < second.trace.size();
      if (in_first && in_second && first.trace[i].to_json() == second.trace[i].to_json()) continue;
      report.diverged_at = i;
      report.first_line = in_first ? first.trace[i].format() : "(none: the run ended)";
      report.second_line = in_second ? second.trace[i].format() : "(none: the run ended)";
      break;
    }
  }
  return report;
}

}  // namespace autobahn_sync::testing

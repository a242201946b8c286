#include "testing/swarm.hpp"

#include <charconv>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <string_view>

#include "testing/recorder.hpp"
#include "wamp/seeded_draw.hpp"

namespace autobahn_sync::testing {
namespace {

struct drawn_rule {
  match selector;
  action what;
  std::string name;
};

// One random fault: a message kind (with its direction), a session or any, the k-th such
// message, and an action.
drawn_rule draw_rule(std::mt19937_64& rng, int clients) {
  struct kind {
    wamp::message_type type;
    bool to_router;
  };
  static const kind kinds[] = {
      {wamp::message_type::call, true},        {wamp::message_type::invocation, false},
      {wamp::message_type::yield, true},       {wamp::message_type::result, false},
      {wamp::message_type::publish, true},     {wamp::message_type::published, false},
      {wamp::message_type::event, false},      {wamp::message_type::subscribe, true},
      {wamp::message_type::subscribed, false}, {wamp::message_type::unsubscribe, true},
      {wamp::message_type::register_, true},   {wamp::message_type::registered, false},
      {wamp::message_type::hello, true},       {wamp::message_type::welcome, false},
  };
  static const char* action_names[] = {"drop", "duplicate", "close_before", "close_after", "hold"};
  const auto& k = kinds[wamp::draw(rng, 0, std::size(kinds) - 1)];
  const int session = static_cast<int>(wamp::draw(rng, 0, clients)) - 1;  // -1: any
  const auto nth = static_cast<std::size_t>(wamp::draw(rng, 1, 4));
  const auto a = wamp::draw(rng, 0, 4);
  drawn_rule r;
  r.selector.type(k.type).nth(nth);
  if (k.to_router) r.selector.to_router(); else r.selector.to_client();
  if (session >= 0) r.selector.session("c" + std::to_string(session));
  switch (a) {
    case 0: r.what = fault::drop(); break;
    case 1: r.what = fault::duplicate(); break;
    case 2: r.what = fault::close_before(); break;
    case 3: r.what = fault::close_after(); break;
    default: r.what = fault::hold(); break;
  }
  r.name = std::string(action_names[a]) + " of " + r.selector.describe();
  return r;
}

// Recovery after healing: a fresh callee and caller join and complete a call (with generous
// timeouts: recovery must happen, however loaded the machine is).
std::string check_recovery(wamp_fixture& f) {
  auto patient = [](AutobahnSync& app) {
    app.options().call_timeout = std::chrono::seconds(10);
    app.options().join_timeout = std::chrono::seconds(10);
  };
  try {
    f.client("recovery-callee", {}, patient)
        .session()
        .register_procedure("swarm.recovery",
                            [](const wamp::list& a, const wamp::dict&, const invocation_details&) { return call_result{a}; });
    if (f.client("recovery-caller", {}, patient).session().call("swarm.recovery", {"ok"}).value() != "ok")
      return "the recovery call answered wrongly";
  } catch (const std::exception& e) {
    return std::string("no recovery after healing: ") + e.what();
  }
  return {};
}

}  // namespace

swarm_workload standard_workload(int clients, int ops) {
  return [clients, ops](wamp_fixture& f, std::mt19937_64& rng) {
    auto name = [](int i) { return "c" + std::to_string(i); };
    std::vector<subscription> subs(static_cast<std::size_t>(clients));
    auto quietly = [](auto&& step) {
      try {
        step();
      } catch (const Error&) {
        // A fault may make any step fail; the swarm's invariants say what must still hold.
      }
    };
    for (int i = 0; i < clients; ++i) {
      quietly([&] {
        auto& s = f.session(name(i));
        // Watched: the trace invariants check that none starts after its client stopped.
        s.register_procedure("swarm.proc." + std::to_string(i),
                             f.watched_procedure(name(i), [](const wamp::list& a, const wamp::dict&,
                                                             const invocation_details&) { return call_result{a}; }));
        subs[i] = s.subscribe("swarm.topic", f.watched_handler(name(i), [](auto&&...) {}));
      });
    }
    auto pick = [&] { return static_cast<int>(wamp::draw(rng, 0, clients - 1)); };
    for (int k = 0; k < ops; ++k) {
      const int i = pick(), j = pick();
      switch (wamp::draw(rng, 0, 3)) {
        case 0:
        case 1:
          quietly([&] { f.session(name(i)).call("swarm.proc." + std::to_string(j), {k}); });
          break;
        case 2:
          quietly([&] {
            f.session(name(i)).publish("swarm.topic", {k}, {}, publish_options{.acknowledge = (k % 2) == 0});
          });
          break;
        default:
          quietly([&] {
            subs[i].unsubscribe();
            subs[i] = f.session(name(i)).subscribe("swarm.topic", f.watched_handler(name(i), [](auto&&...) {}));
          });
      }
    }
  };
}

std::string swarm_report::describe() const {
  std::ostringstream out;
  out << "swarm: " << runs << " seeds, " << failures.size() << " failing\n";
  for (const auto& f : failures) {
    out << "  seed " << f.seed << " (replay: " << replay_command(f.seed, current_test_name(), "SWARM_SEED") << "): " << f.what
        << "\n    faults: " << f.faults << "\n";
  }
  if (!failures.empty()) out << "trace of seed " << failures.front().seed << ":\n" << failures.front().trace;
  return out.str();
}

fixture_options swarm_fixture_options(const swarm_options& options, std::uint64_t seed) {
  auto f = options.fixture;
  f.client.call_timeout = options.timeout;
  f.client.join_timeout = options.timeout;
  f.client.leave_timeout = options.timeout;
  f.seed = seed;
  return f;
}

std::string swarm_run(const swarm_workload& workload, const swarm_options& options, std::uint64_t seed,
                      wamp_fixture& f, std::string* faults_out) {
  std::mt19937_64 rng(seed);
  f.check_leaks(false);
  std::vector<rule_handle> rules;
  std::string faults;
  for (int i = 0; i < options.faults_per_run; ++i) {
    auto r = draw_rule(rng, options.clients);
    faults += (faults.empty() ? "" : "; ") + r.name;
    rules.push_back(f.faults().install(r.selector, r.what, r.name).optional());
  }
  if (faults_out) *faults_out = faults;
  std::string what;
  try {
    workload(f, rng);
  } catch (const std::exception& e) {
    what = std::string("the workload threw ") + e.what();
  }
  for (auto& r : rules) r.remove();  // heal: held messages are released
  if (auto broken = check_recovery(f); !broken.empty()) what += (what.empty() ? "" : "; ") + broken;
  f.stop_clients();
  for (const auto& leak : f.leaks())
    if (leak.rfind("fault rule never fired", 0) != 0) what += (what.empty() ? "" : "; ") + leak;
  if (auto broken = check_trace_invariants(f.trace().entries()); !broken.empty())
    what += (what.empty() ? "" : "; ") + broken;
  return what;
}

swarm_report swarm(const swarm_workload& workload, swarm_options options) {
  std::vector<std::uint64_t> seeds;
  if (const char* only = std::getenv("SWARM_SEED")) {
    std::uint64_t seed = 0;
    const std::string_view text(only);
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seed);
    // A typo must not replay seed 0 (which seeds the router randomly) instead.
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
      throw std::invalid_argument("SWARM_SEED must be a number, not \"" + std::string(text) + "\"");
    seeds.push_back(seed);
  } else {
    for (int i = 0; i < options.seeds; ++i) seeds.push_back(options.first_seed + static_cast<std::uint64_t>(i));
  }
  swarm_report report;
  for (const auto seed : seeds) {
    wamp_fixture f(swarm_fixture_options(options, seed));
    std::string faults;
    const auto what = swarm_run(workload, options, seed, f, &faults);
    if (!what.empty()) report.failures.push_back({seed, faults, what, f.trace().format()});
    ++report.runs;
  }
  return report;
}

}  // namespace autobahn_sync::testing

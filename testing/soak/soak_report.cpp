// What a soak run found: the counts, whether it passed, and the text the tool prints.
#include <cstdio>
#include <sstream>
#include <string>

#include "testing/soak/soak.hpp"

namespace autobahn_sync::testing::soak {
namespace {

std::string mib(std::size_t bytes, int decimals = 1) {
  char b[32];
  std::snprintf(b, sizeof b, "%.*f", decimals, bytes / 1048576.0);
  return b;
}

}  // namespace

std::string to_string(transport_kind t) {
  return t == transport_kind::rawsocket ? "rawsocket" : "websocket";
}

std::uint64_t soak_report::losses() const {
  return calls_failed + results_misrouted + invocations_misrouted + invocations_duplicated +
         (invocations_received > calls_made ? invocations_received - calls_made : 0) +
         publications_failed + events_misrouted + events_duplicated + events_out_of_order +
         events_lost;
}

bool soak_report::ok() const {
  return losses() == 0 && !timed_out && memory_flat && router_state_freed &&
         sessions_joined == options.sessions && calls_ok == options.calls &&
         events_expected >= options.events;
}

std::string soak_report::describe() const {
  std::ostringstream out;
  std::string transports;
  for (auto t : options.transports) transports += (transports.empty() ? "" : ",") + to_string(t);
  auto rate = [&](std::uint64_t n) {
    char b[32];
    std::snprintf(b, sizeof b, "%.0f/s", workload_seconds > 0 ? n / workload_seconds : 0.0);
    return std::string(b);
  };
  char line[256];
  auto row = [&](const char* what, std::uint64_t value, const std::string& note = {}) {
    std::snprintf(line, sizeof line, "  %-34s %12llu  %s\n", what,
                  static_cast<unsigned long long>(value), note.c_str());
    out << line;
  };
  out << "soak: " << sessions_joined << "/" << options.sessions << " sessions over " << transports
      << ", " << (options.serializer == wamp::serializer_kind::json ? "json" : "msgpack") << ", "
      << topics << " topics × " << options.subscribers_per_topic << " subscribers, "
      << options.driver_threads << " driver threads, " << options.client_io_threads
      << " client I/O threads\n";
  std::snprintf(line, sizeof line,
                "  join %.2f s, workload %.2f s (calls, publications and delivery), total %.2f s "
                "(limit %lld s)\n",
                join_seconds, workload_seconds, total_seconds,
                static_cast<long long>(options.max_duration.count()));
  out << line;
  row("calls made", calls_made, rate(calls_made));
  row("calls answered correctly", calls_ok);
  row("calls failed (threw)", calls_failed);
  row("results misrouted", results_misrouted);
  row("invocations received", invocations_received);
  row("invocations misrouted", invocations_misrouted);
  row("invocations duplicated", invocations_duplicated);
  row("publications (acknowledged)", publications, rate(publications));
  row("publications failed", publications_failed);
  row("events expected", events_expected);
  row("events received", events_received, rate(events_received));
  row("events misrouted", events_misrouted);
  row("events duplicated", events_duplicated);
  row("events out of order", events_out_of_order);
  row("events lost", events_lost);
  out << "  memory (router heap: live bytes the router's thread allocated; RSS and heap: the\n"
         "  whole process, router and clients together; then the router's counts):\n";
  std::snprintf(line, sizeof line, "    %-8s %8s %9s %11s %8s %9s %8s %9s %6s %6s %8s\n",
                "point", "time s", "ops", "router MiB", "RSS MiB", "heap MiB", "threads",
                "sessions", "regs", "subs", "pending");
  out << line;
  for (const auto& s : samples) {
    std::snprintf(line, sizeof line,
                  "    %-8s %8.2f %9llu %11s %8s %9s %8zu %9zu %6zu %6zu %8zu\n", s.label.c_str(),
                  s.elapsed_seconds, static_cast<unsigned long long>(s.operations_done),
                  mib(s.router_heap_bytes, 2).c_str(), mib(s.rss_bytes).c_str(),
                  mib(s.heap_bytes).c_str(), s.threads, s.router_sessions, s.router_registrations,
                  s.router_subscriptions, s.router_pending_calls);
    out << line;
  }
  out << "  router heap growth after warm-up: " << mib(router_heap_growth_bytes, 2)
      << " MiB (tolerance " << mib(memory_tolerance_bytes)
      << " MiB): " << (memory_flat ? "flat" : "GREW") << "; process RSS growth "
      << mib(rss_growth_bytes) << " MiB\n";
  out << "  router state after every session left: " << (router_state_freed ? "freed" : "NOT FREED")
      << "\n";
  for (const auto& e : errors) out << "  error: " << e << "\n";
  out << (ok() ? "PASS" : "FAIL") << (timed_out ? " (timed out)" : "") << ": " << losses()
      << " lost, duplicated, misrouted or failed messages\n";
  return out.str();
}

}  // namespace autobahn_sync::testing::soak

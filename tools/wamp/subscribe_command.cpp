#include "tools/wamp/subscribe_command.hpp"

#include <atomic>
#include <cstdio>
#include <optional>

#include "client/autobahn_sync.hpp"
#include "tools/wamp/cli_args.hpp"
#include "tools/wamp/client_session.hpp"
#include "tools/wamp/exit_codes.hpp"
#include "tools/wamp/stop_waiter.hpp"

namespace wamp_cli {

namespace {

int run_subscribe(std::span<const std::string> argv) {
  common_options common = common_options::from_environment();
  std::optional<std::string> topic;
  autobahn_sync::subscribe_options options;
  std::optional<std::uint64_t> count;
  arg_reader in(argv);
  while (in.next()) {
    if (in.is_separator()) {
      throw usage_error("subscribe takes no arguments after --");
    } else if (!in.is_option()) {
      if (topic) throw usage_error("unexpected argument '" + in.text() + "' (one TOPIC only)");
      topic = in.text();
    } else if (in.text() == "--match") {
      options.match = parse_match_option(in.value());
    } else if (in.text() == "--count") {
      count = parse_count_option("--count", in.value());
    } else if (!common.consume(in)) {
      throw usage_error("unknown option " + in.text());
    }
  }
  if (!topic) throw usage_error("missing the topic URI");

  // Declared before the client so that they outlive its handlers.
  stop_waiter waiter;
  std::atomic<std::uint64_t> received{0};
  auto client = join_router_until_stopped(common, waiter);
  client->session().subscribe(
      *topic,
      [&](const wamp::list& args, const wamp::dict& kwargs, const autobahn_sync::event_details& details) {
        const auto n = ++received;
        if (count && n > *count) return;  // arrived while we are leaving
        const wamp::value line = {{"args", args}, {"kwargs", kwargs}, {"topic", details.topic}};
        std::printf("%s\n", to_json_line(line).c_str());
        std::fflush(stdout);  // each event at once, also through a pipe
        if (count && n == *count) waiter.finish();
      },
      options);

  return serve_until_stopped(waiter, *client);
}

}  // namespace

const subcommand subscribe_subcommand{
    "subscribe",
    "print each event of a topic as a JSON line",
    R"(usage: wamp subscribe TOPIC [--match exact|prefix|wildcard] [--count N] [options]

Subscribes to TOPIC and prints each event as one JSON line, flushed at once:
  {"args":[...],"kwargs":{...},"topic":"..."}
("topic" is the concrete topic, also for prefix and wildcard subscriptions). Runs until
SIGINT or SIGTERM (then leaves the realm and exits 0), or until N events arrived.

options:
  --match POLICY       exact (default), prefix or wildcard
  --count N            exit 0 after N events
)",
    run_subscribe,
};

}  // namespace wamp_cli

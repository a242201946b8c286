#include "tools/wamp/demo_command.hpp"

#include "tools/demo/demo_tour.hpp"
#include "tools/wamp/exit_codes.hpp"

namespace wamp_cli {

namespace {

int run_demo_command(std::span<const std::string> args) {
  if (!args.empty()) throw usage_error("unexpected argument " + args.front());
  return autobahn_sync::tools::run_demo_tour() == 0 ? exit_ok : exit_other_failure;
}

}  // namespace

const subcommand demo_subcommand{
    "demo",
    "a one-second tour: calls, events, authentication, a fault, latencies",
    R"(usage: wamp demo

Starts a router inside this process and takes a short tour of the project: RPC over each
serializer with call latencies (p50, p99), 1000 events to a subscriber, WAMP-CRA
authentication (and an impostor refused), and a fault keyed to a protocol event (the
router's RESULT to the 2nd call is lost) with the trace of that connection.
Needs no network and no running router.
)",
    run_demo_command,
    /*uses_common_options=*/false,
};

}  // namespace wamp_cli

#include "tools/wamp/router_command.hpp"

#include "tools/router/router_main.hpp"

namespace wamp_cli {

namespace {

// The router reads its own options and prints its own errors; its exit codes (0 after a
// signal, 1 bad configuration, 2 bad usage) already match the tool's.
int run_router_command(std::span<const std::string> args) { return autobahn_sync::tools::run_router(args); }

}  // namespace

const subcommand router_subcommand{
    "router",
    "run the standalone router until interrupted",
    autobahn_sync::tools::router_usage,
    run_router_command,
    /*uses_common_options=*/false,
    /*own_exit_codes=*/true,
};

}  // namespace wamp_cli

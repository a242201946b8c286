// The standalone router: `router --config router.json`, a Crossbar.io node's config, or
// flags for a quick local router. Runs until SIGINT or SIGTERM, then says GOODBYE to every
// session and exits. The same router is `wamp router` (tools/wamp).
//
//   router                                   realm1 on ws://127.0.0.1:8080/ws
//   router --ws 127.0.0.1:0 --rs 127.0.0.1:0 ephemeral ports, printed on start
//   router --config router.json              realms, roles, users and listeners (docs/router.md)
//   router --cbdir .crossbar                 what `crossbar start --cbdir .crossbar` would serve
#include <string>
#include <vector>

#include "tools/router/router_main.hpp"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  return autobahn_sync::tools::run_router(args);
}

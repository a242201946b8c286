// The standalone router as a function, shared by the `router` binary (main.cpp) and the
// `wamp router` subcommand: reads the command line, listens, runs until SIGINT or SIGTERM.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace autobahn_sync::tools {

/// `router --help` and `wamp router --help` (each adds its exit codes).
inline constexpr std::string_view router_usage = R"(usage: router [options]
   or: wamp router [options]

Runs a WAMP router until interrupted (SIGINT, SIGTERM).

options:
  --config FILE       read realms, roles, users and listeners from a JSON file
                      (see docs/router.md); flags below add to it
  --cbdir DIR         read a Crossbar.io node config from DIR/config.json, as
                      `crossbar start --cbdir DIR` does: its router workers' realms and
                      transports; ignored keys are logged on stderr, what the router
                      cannot honour (components, dynamic auth, TLS...) is refused
  --crossbar-config FILE
                      the same from a Crossbar.io config file of any name
  --realm NAME        serve an open realm NAME (anonymous sessions may do anything);
                      repeatable; default realm1 when no realm is configured
  --ws HOST:PORT[/PATH]
                      listen for WebSocket clients (default path /ws); port 0 picks a
                      free port; HOST is an address (127.0.0.1, [::1]) or a name
                      (localhost: its first IPv4 address); default 127.0.0.1:8080/ws
                      when no listener is configured
  --rs HOST:PORT      listen for RawSocket clients
  --seed N            seed the session and publication ids (for reproducible runs)
  --busy-poll-us N    after handling anything, poll N microseconds before sleeping:
                      lower call latency for a core kept busy (router_options::busy_poll)
  --help              this text

On start it prints one line per listener on stdout, e.g. "listening ws://127.0.0.1:8080/ws";
joins, leaves and refused or aborted sessions are logged on stderr.
Exit codes: 0 after a signal, 1 for a bad configuration, 2 for bad usage.
)";

/// Runs the router with `args` (the options, without the program name). Returns the exit
/// code: 0 after a signal (or --help), 1 for a bad configuration, 2 for bad usage.
/// Blocks until SIGINT or SIGTERM.
int run_router(std::span<const std::string> args);

}  // namespace autobahn_sync::tools

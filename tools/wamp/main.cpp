// `wamp`: the project's command-line tool. `wamp SUBCOMMAND [ARGS...]`; `wamp --help` lists
// the subcommands, `wamp SUBCOMMAND --help` explains one.
//
// This file only dispatches: each subcommand is a `subcommand` (subcommand.hpp) defined in
// its own <name>_command.cpp. To add one, add its row to `subcommands` below.
#include <cstdio>
#include <exception>
#include <span>
#include <string>
#include <vector>

#include "tools/wamp/bench_command.hpp"
#include "tools/wamp/call_command.hpp"
#include "tools/wamp/cli_args.hpp"
#include "tools/wamp/client_session.hpp"
#include "tools/wamp/demo_command.hpp"
#include "tools/wamp/exit_codes.hpp"
#include "tools/wamp/publish_command.hpp"
#include "tools/wamp/register_command.hpp"
#include "tools/wamp/router_command.hpp"
#include "tools/wamp/subcommand.hpp"
#include "tools/wamp/subscribe_command.hpp"

namespace {

using namespace wamp_cli;

const subcommand* const subcommands[] = {
    &call_subcommand,
    &publish_subcommand,
    &subscribe_subcommand,
    &register_subcommand,
    &router_subcommand,
    &demo_subcommand,
    &bench_subcommand,
};

void print_tool_usage(std::FILE* to) {
  std::fprintf(to, "usage: wamp SUBCOMMAND [ARGS...] [options]\n\nA WAMP client for the shell, the standalone router, the demo and the benchmarks.\n\nsubcommands:\n");
  for (const subcommand* c : subcommands) {
    std::fprintf(to, "  %-12s %.*s\n", std::string(c->name).c_str(), static_cast<int>(c->summary.size()),
                 c->summary.data());
  }
  std::fprintf(to, "\n'wamp SUBCOMMAND --help' explains one.\n\n%s", exit_codes_help);
}

void print_subcommand_usage(const subcommand& c, std::FILE* to) {
  std::fprintf(to, "%.*s", static_cast<int>(c.usage.size()), c.usage.data());
  if (c.uses_common_options) std::fprintf(to, "\n%s", common_options_help);
  if (!c.own_exit_codes) std::fprintf(to, "\n%s", exit_codes_help);
}

// --help or -h before any "--" (after it, they are the payload or the command's own).
bool asks_for_help(std::span<const std::string> args) {
  for (const auto& a : args) {
    if (a == "--") return false;
    if (a == "--help" || a == "-h") return true;
  }
  return false;
}

int run_subcommand(const subcommand& c, std::span<const std::string> args) {
  if (asks_for_help(args)) {
    print_subcommand_usage(c, stdout);
    return exit_ok;
  }
  const std::string name(c.name);
  try {
    return c.run(args);
  } catch (const usage_error& e) {
    std::fprintf(stderr, "wamp %s: %s\n\n", name.c_str(), e.what());
    print_subcommand_usage(c, stderr);
    return exit_usage;
  } catch (...) {
    return report_failure(name, std::current_exception());
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::fprintf(stderr, "wamp: missing the subcommand\n\n");
    print_tool_usage(stderr);
    return exit_usage;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    print_tool_usage(stdout);
    return exit_ok;
  }
  for (const subcommand* c : subcommands) {
    if (c->name == args[0]) return run_subcommand(*c, std::span(args).subspan(1));
  }
  std::fprintf(stderr, "wamp: unknown subcommand '%s'\n\n", args[0].c_str());
  print_tool_usage(stderr);
  return exit_usage;
}

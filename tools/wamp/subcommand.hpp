// One entry of the `wamp` tool's subcommand table (main.cpp). A subcommand gets the
// arguments after its name, without --help (main.cpp answers that from `usage`), and
// returns the exit code or throws (cli_error, usage_error, client exceptions): main.cpp
// prints the one-line message and maps it to the exit code (exit_codes.hpp).
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace wamp_cli {

struct subcommand {
  std::string_view name;
  /// One line for `wamp --help`.
  std::string_view summary;
  /// `wamp NAME --help`: synopsis and description; main.cpp appends the common options
  /// (when `uses_common_options`) and the client exit codes (unless `own_exit_codes`: the
  /// usage states them).
  std::string_view usage;
  int (*run)(std::span<const std::string> args);
  bool uses_common_options = true;
  bool own_exit_codes = false;
};

}  // namespace wamp_cli

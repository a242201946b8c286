// Running an external command to completion with its output captured: what `wamp register`
// does for each invocation. Uses posix_spawnp (safe in a multi-threaded process); stdin is
// /dev/null.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace wamp_cli {

struct command_outcome {
  /// The exit status; 128 + N when killed by signal N; 127 when it could not be started.
  int exit_code = 0;
  std::string stdout_text;
  std::string stderr_text;
};

/// Runs argv[0] (searched in PATH) with `argv`, adding `extra_environment` (name, value) to
/// this process's environment, and waits for it. Never throws for a failing command: a
/// command that cannot be started yields exit_code 127 and the reason in stderr_text.
/// Throws std::invalid_argument for an empty argv.
command_outcome run_command(const std::vector<std::string>& argv,
                            const std::vector<std::pair<std::string, std::string>>& extra_environment = {});

}  // namespace wamp_cli

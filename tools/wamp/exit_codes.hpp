// The exit codes of the `wamp` tool, shared by every subcommand, and the errors that carry
// them from deep inside a subcommand up to main().
#pragma once

#include <stdexcept>
#include <string>

namespace wamp_cli {

enum exit_code : int {
  exit_ok = 0,
  exit_other_failure = 1,  // anything not listed below (connection lost, bad payload, ...)
  exit_usage = 2,          // bad command line
  exit_cannot_join = 3,    // cannot connect, or the router refused the join
  exit_wamp_error = 4,     // the router (or a callee) answered with a WAMP ERROR
};

/// The exit code table as printed by every --help.
inline constexpr const char* exit_codes_help = R"(exit codes:
  0  success (also after SIGINT/SIGTERM for subscribe and register)
  1  other failure (connection lost, payload cannot be sent, ...)
  2  usage error
  3  cannot connect to the router, or the router refused the join
  4  the router or a callee answered with a WAMP error (URI, args and kwargs on stderr)
)";

/// A failure that ends the tool with `code` after printing `what()` on one line.
class cli_error : public std::runtime_error {
 public:
  cli_error(exit_code code, const std::string& message) : std::runtime_error(message), code_(code) {}
  exit_code code() const noexcept { return code_; }

 private:
  exit_code code_;
};

/// A bad command line: printed with the subcommand's usage, exit code 2.
class usage_error : public cli_error {
 public:
  explicit usage_error(const std::string& message) : cli_error(exit_usage, message) {}
};

}  // namespace wamp_cli

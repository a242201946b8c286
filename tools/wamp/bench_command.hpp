// `wamp bench`: runs the benchmark binaries of bench/ (built with -c opt) one benchmark at
// a time, with a progress line each on stderr, and prints the comparison table
// (bench_report.hpp) on stdout.
#pragma once

#include "tools/wamp/subcommand.hpp"

namespace wamp_cli {
extern const subcommand bench_subcommand;
}

// `wamp register URI [--match POLICY] [--count N] -- COMMAND [ARGS...]`: answers each
// invocation by running COMMAND.
#pragma once

#include "tools/wamp/subcommand.hpp"

namespace wamp_cli {
extern const subcommand register_subcommand;
}

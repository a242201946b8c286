// `wamp call URI [ARGS...] [--kw KEY=VALUE]...`: calls a procedure, prints its result.
#pragma once

#include "tools/wamp/subcommand.hpp"

namespace wamp_cli {
extern const subcommand call_subcommand;
}

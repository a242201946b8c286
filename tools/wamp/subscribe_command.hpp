// `wamp subscribe TOPIC [--match POLICY] [--count N]`: prints each event as a JSON line.
#pragma once

#include "tools/wamp/subcommand.hpp"

namespace wamp_cli {
extern const subcommand subscribe_subcommand;
}

// `wamp demo`: the tour of the embedded router and the client (tools/demo).
#pragma once

#include "tools/wamp/subcommand.hpp"

namespace wamp_cli {
extern const subcommand demo_subcommand;
}

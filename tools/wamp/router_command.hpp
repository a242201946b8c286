// `wamp router [options]`: the standalone router (tools/router), run in the tool's process.
#pragma once

#include "tools/wamp/subcommand.hpp"

namespace wamp_cli {
extern const subcommand router_subcommand;
}

// `wamp publish TOPIC [ARGS...] [--kw KEY=VALUE]... [--acknowledge]`: publishes one event.
#pragma once

#include "tools/wamp/subcommand.hpp"

namespace wamp_cli {
extern const subcommand publish_subcommand;
}

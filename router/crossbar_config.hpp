// Reads a Crossbar.io node configuration (`.crossbar/config.json`, version 2) into the
// router's own configuration, so a project can swap Crossbar for this router in its CI by
// changing one command. See docs/router.md ("Running a Crossbar config") for what is read,
// what is ignored (one log line each) and what is refused.
#pragma once

#include <functional>
#include <string>

#include "router/config.hpp"
#include "wamp/value.hpp"

namespace autobahn_sync::router {

/// Receives one line per configuration key that is ignored because the router does not
/// need it (e.g. a router worker's `options.pythonpath`, a web path of type `static`).
using config_log_fn = std::function<void(const std::string&)>;

/// The realms and listeners of the `router` workers of a Crossbar config. Throws
/// config_error naming the key for what the router cannot honour (components, containers,
/// guest workers, dynamic authentication, TLS, ...) and for malformed values.
///
/// Secrets and tickets written as "${NAME}" or "$NAME" are read from the environment, as
/// Crossbar does.
router_config router_config_from_crossbar(const wamp::value& json, const config_log_fn& log);

}  // namespace autobahn_sync::router

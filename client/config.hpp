// Configuration of an application's client, resolved with the seed's priority (its Flask
// extension): explicit arguments first, then the application's configuration (a map the
// application passes, then the environment variables AUTOBAHN_ROUTER, AUTOBAHN_REALM,
// AUTOBAHN_IN_EVENT_LOOP), then the defaults (ws://localhost:8080/ws, realm1, false).
//
//   auto config = autobahn_sync::resolve_config({.realm = "app"}, app_settings);
//   autobahn_sync::start(app, config, &io);   // run() or run_in_io_context()
//
// Pure functions apart from reading the environment; thread-safe.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>

namespace autobahn_sync {

class AutobahnSync;

/// What the application states explicitly; unset fields fall through.
struct config_overrides {
  std::optional<std::string> router;
  std::optional<std::string> realm;
  /// True when the application runs its own io_context (the seed's in_twisted).
  std::optional<bool> in_event_loop;
};

struct client_config {
  std::string router = "ws://localhost:8080/ws";
  std::string realm = "realm1";
  bool in_event_loop = false;
};

/// Reads a variable: std::getenv by default; tests pass their own.
using env_lookup = std::function<std::optional<std::string>(const std::string& name)>;
env_lookup process_environment();

/// Resolves the configuration. `app_config` keys and environment variables are
/// AUTOBAHN_ROUTER, AUTOBAHN_REALM and AUTOBAHN_IN_EVENT_LOOP ("true"/"1"/"yes"/"on" are
/// true, "false"/"0"/"no"/"off" false, case-insensitive; anything else throws
/// std::invalid_argument; the Python extension's AUTOBAHN_IN_TWISTED is read when it is
/// not set in the same layer: an app map's AUTOBAHN_IN_TWISTED wins over the environment's
/// AUTOBAHN_IN_EVENT_LOOP). Empty values count as unset.
client_config resolve_config(const config_overrides& explicit_args = {},
                             const std::map<std::string, std::string>& app_config = {},
                             const env_lookup& env = process_environment());

/// Starts `app` as configured: run_in_io_context(*io) when config.in_event_loop (then `io`
/// is required: std::invalid_argument otherwise), else run() (blocking=false). Throws what
/// those throw.
void start(AutobahnSync& app, const client_config& config,
           boost::asio::io_context* io = nullptr);

}  // namespace autobahn_sync

// Joining the router as the common options say, and turning what the client throws into the
// tool's one-line messages and exit codes (exit_codes.hpp).
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <string>

#include "client/autobahn_sync.hpp"
#include "tools/wamp/cli_args.hpp"
#include "tools/wamp/stop_waiter.hpp"

namespace wamp_cli {

/// Called on the client's I/O thread when the session ends without stop() (connection lost,
/// router's GOODBYE); must not block.
using session_lost_handler = std::function<void(std::exception_ptr why)>;

/// Connects and joins with `options`; returns the running client. Throws cli_error
/// exit_cannot_join (with a one-line reason) when connecting or joining fails.
std::unique_ptr<autobahn_sync::AutobahnSync> join_router(const common_options& options,
                                                         session_lost_handler on_lost = {});

/// Stops a running client, ignoring a client that already stopped.
void leave_router(autobahn_sync::AutobahnSync& client);

/// For long-running subcommands: join_router() where losing the session ends `waiter` with
/// exit_other_failure ("session lost: ...").
std::unique_ptr<autobahn_sync::AutobahnSync> join_router_until_stopped(const common_options& options,
                                                                       stop_waiter& waiter);
/// Waits for `waiter`, leaves the router, and returns exit_ok or throws the failure as a
/// cli_error.
int serve_until_stopped(stop_waiter& waiter, autobahn_sync::AutobahnSync& client);

/// The message of an exception (for one-line reports).
std::string describe_exception(std::exception_ptr e);

/// "URI [args] {kwargs}" for a WAMP error.
std::string describe_wamp_error(const autobahn_sync::ApplicationError& e);

/// Prints `e` on stderr as "wamp COMMAND: message" and returns its exit code: cli_error's
/// own, exit_wamp_error for a WAMP ERROR, exit_other_failure otherwise.
int report_failure(const std::string& command, std::exception_ptr e);

}  // namespace wamp_cli

#include "tools/wamp/client_session.hpp"

#include <cstdio>

#include "tools/wamp/exit_codes.hpp"

namespace wamp_cli {

namespace as = autobahn_sync;

namespace {

as::client_options client_options_for(const common_options& o, session_lost_handler on_lost) {
  as::client_options c;
  c.call_timeout = o.timeout;
  c.join_timeout = o.timeout;
  c.leave_timeout = std::min(o.timeout, std::chrono::milliseconds(std::chrono::seconds(5)));
  if (o.serializer) c.serializers = {*o.serializer};
  c.ticket = o.ticket;
  c.secret = o.secret;
  if (on_lost) {
    c.on_leave = [on_lost = std::move(on_lost)](std::exception_ptr why) {
      if (why) on_lost(why);  // null: our own stop()
    };
  }
  return c;
}

std::vector<std::string> authmethods_for(const common_options& o) {
  std::vector<std::string> methods;
  if (!o.ticket.empty()) methods.push_back("ticket");
  if (!o.secret.empty()) methods.push_back("wampcra");
  return methods;  // empty: anonymous
}

}  // namespace

std::unique_ptr<as::AutobahnSync> join_router(const common_options& options,
                                              session_lost_handler on_lost) {
  auto client = std::make_unique<as::AutobahnSync>(authmethods_for(options),
                                                   client_options_for(options, std::move(on_lost)));
  as::run_options run;
  run.url = options.url;
  run.realm = options.realm;
  run.authid = options.authid;
  run.authrole = options.authrole;
  const std::string where = options.url + " (realm " + options.realm + ")";
  try {
    client->run(run);
  } catch (const as::AbortError& e) {
    std::string message = "the router refused to join " + where + ": " + e.reason();
    if (!e.details().empty()) message += " " + to_json_line(e.details());
    throw cli_error(exit_cannot_join, message);
  } catch (const as::ApplicationError& e) {
    if (e.error() == "wamp.error.timeout") {
      throw cli_error(exit_cannot_join, "no welcome from " + where + " within " +
                                            std::to_string(options.timeout.count()) + " ms");
    }
    throw cli_error(exit_cannot_join, "cannot join " + where + ": " + describe_wamp_error(e));
  } catch (const as::ConnectionRefusedError& e) {
    throw cli_error(exit_cannot_join, e.what());  // names the URL already
  } catch (const std::exception& e) {
    throw cli_error(exit_cannot_join, "cannot join " + where + ": " + e.what());
  }
  return client;
}

std::unique_ptr<as::AutobahnSync> join_router_until_stopped(const common_options& options, stop_waiter& waiter) {
  return join_router(options, [&waiter](std::exception_ptr why) {
    waiter.fail(exit_other_failure, "session lost: " + describe_exception(why));
  });
}

int serve_until_stopped(stop_waiter& waiter, as::AutobahnSync& client) {
  const auto outcome = waiter.wait();
  leave_router(client);
  if (outcome.code != exit_ok) throw cli_error(outcome.code, outcome.message);
  return exit_ok;
}

void leave_router(as::AutobahnSync& client) {
  try {
    if (client.running()) client.stop();
  } catch (const as::NotRunningError&) {
    // Already stopped (e.g. the session was lost meanwhile): nothing to leave.
  }
}

std::string describe_exception(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const as::ApplicationError& error) {
    return describe_wamp_error(error);
  } catch (const std::exception& error) {
    return error.what();
  } catch (...) {
    return "unknown failure";
  }
}

std::string describe_wamp_error(const as::ApplicationError& e) {
  return e.error() + " " + to_json_line(e.args()) + " " + to_json_line(e.kwargs());
}

int report_failure(const std::string& command, std::exception_ptr e) {
  int code = exit_other_failure;
  std::string message;
  try {
    std::rethrow_exception(e);
  } catch (const cli_error& error) {
    code = error.code();
    message = error.what();
  } catch (const as::ApplicationError& error) {
    code = exit_wamp_error;
    message = describe_wamp_error(error);
  } catch (const as::TransportLost& error) {
    message = std::string("connection lost: ") + error.what();
  } catch (const std::exception& error) {
    message = error.what();
  } catch (...) {
    message = "unknown failure";
  }
  std::fprintf(stderr, "wamp %s: %s\n", command.c_str(), message.c_str());
  return code;
}

}  // namespace wamp_cli

// Keeps a long-running subcommand (subscribe, register) alive until it should end: SIGINT or
// SIGTERM (a clean end), finish() from a handler (e.g. --count reached), or fail() (the
// session was lost).
//
// Create it before connecting: from then on SIGINT/SIGTERM no longer kill the process but
// end wait(). finish() and fail() are thread-safe and never block; the first outcome wins.
#pragma once

#include <mutex>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "tools/wamp/exit_codes.hpp"

namespace wamp_cli {

class stop_waiter {
 public:
  struct outcome {
    exit_code code = exit_ok;
    std::string message;  // empty for a clean end
  };

  stop_waiter();
  stop_waiter(const stop_waiter&) = delete;
  stop_waiter& operator=(const stop_waiter&) = delete;

  /// Ends wait() with exit_ok.
  void finish();
  /// Ends wait() with `code` and `message`.
  void fail(exit_code code, std::string message);
  /// Blocks until a signal, finish() or fail().
  outcome wait();

 private:
  void settle(outcome o);

  boost::asio::io_context io_;
  boost::asio::signal_set signals_;
  std::mutex mutex_;
  std::optional<outcome> outcome_;
};

}  // namespace wamp_cli

#include "tools/wamp/stop_waiter.hpp"

#include <csignal>

#include <boost/asio/post.hpp>

namespace wamp_cli {

stop_waiter::stop_waiter() : signals_(io_, SIGINT, SIGTERM) {
  signals_.async_wait([this](const boost::system::error_code& ec, int) {
    if (!ec) settle(outcome{});
  });
}

void stop_waiter::finish() { settle(outcome{}); }

void stop_waiter::fail(exit_code code, std::string message) { settle(outcome{code, std::move(message)}); }

void stop_waiter::settle(outcome o) {
  {
    std::lock_guard lock(mutex_);
    if (outcome_) return;
    outcome_ = std::move(o);
  }
  // Wakes wait(); harmless once it returned (the io_context is simply not run again).
  boost::asio::post(io_, [this] { io_.stop(); });
}

stop_waiter::outcome stop_waiter::wait() {
  io_.run();
  signals_.cancel();
  std::lock_guard lock(mutex_);
  return outcome_.value_or(outcome{});
}

}  // namespace wamp_cli

// The pause after a failed accept. When the process is out of file descriptors (or the kernel
// out of memory) the connection stays in the listen backlog, so accepting again at once fails
// again at once: a listener that retried without a pause would spin a core until a descriptor
// frees up. It waits 5 ms after the first failure, doubling up to 1 s while failures go on.
#pragma once

#include <algorithm>
#include <chrono>
#include <utility>

#include <boost/asio/steady_timer.hpp>

namespace autobahn_sync::wamp::detail {

class accept_backoff {
 public:
  static constexpr std::chrono::milliseconds first_pause{5};
  static constexpr std::chrono::milliseconds longest_pause{1000};

  template <class Executor>
  explicit accept_backoff(const Executor& executor) : timer_(executor) {}

  /// An accept succeeded: the next failure pauses briefly again.
  void succeeded() { pause_ = {}; }

  /// An accept failed: calls `retry` after the pause (not if cancel() came first). Returns the
  /// pause.
  template <class Retry>
  std::chrono::milliseconds retry_later(Retry&& retry) {
    pause_ = pause_.count() == 0 ? first_pause : std::min(pause_ * 2, longest_pause);
    timer_.expires_after(pause_);
    timer_.async_wait([retry = std::forward<Retry>(retry)](const boost::system::error_code& ec) {
      if (!ec) retry();
    });
    return pause_;
  }

  void cancel() { timer_.cancel(); }

 private:
  boost::asio::steady_timer timer_;
  std::chrono::milliseconds pause_{0};
};

}  // namespace autobahn_sync::wamp::detail

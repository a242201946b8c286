#include "router/busy_poll.hpp"

namespace autobahn_sync::router {

void run_busy_polling(boost::asio::io_context& io, std::chrono::microseconds spin) {
  if (spin.count() <= 0) {
    io.run();
    return;
  }
  using clock = std::chrono::steady_clock;
  auto last_work = clock::now();
  while (!io.stopped()) {
    if (io.poll() > 0) {
      last_work = clock::now();
    } else if (clock::now() - last_work >= spin) {
      // Idle for the whole spin: sleep until the next handler.
      if (io.run_one() > 0) last_work = clock::now();
    }
  }
}

}  // namespace autobahn_sync::router

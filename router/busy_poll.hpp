// `run_busy_polling`: runs an io_context like io_context::run(), except that after each
// handler the thread keeps polling (a non-blocking `epoll_wait`) for up to `spin` before it
// sleeps in the reactor. A message that arrives meanwhile is read at once: no wake-up of a
// sleeping thread, which costs tens of microseconds on a VM whose idle vCPUs halt (see
// docs/benchmarks.md). The price is a core kept busy for up to `spin` after every burst of
// work; an idle router sleeps as usual once `spin` has passed without any.
#pragma once

#include <chrono>

#include <boost/asio/io_context.hpp>

namespace autobahn_sync::router {

/// Runs `io` on the calling thread until it is stopped (or runs out of work). With `spin`
/// zero or negative: io.run().
void run_busy_polling(boost::asio::io_context& io, std::chrono::microseconds spin);

}  // namespace autobahn_sync::router

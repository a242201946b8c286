// Live heap bytes of one thread's making: replaces the global operator new/delete of the
// program it is linked into so that every allocation remembers whether the router's thread
// made it. The soak runs the router and its clients in one process; this separates the
// router's own allocated state (sessions, registrations, subscriptions, pending calls,
// sockets and their buffers, all made on the router's I/O thread) from the clients'.
//
// Each allocation carries a 16-byte header (size and maker); memory freed on another thread
// is still subtracted from its maker's count. malloc() called directly (not through
// operator new) is not counted. Link it only into dedicated programs (alwayslink).
//
// Thread safety: every function may be called from any thread.
#pragma once

#include <cstddef>

namespace autobahn_sync::testing::soak {

/// Counts what the calling thread allocates from now on as the router's.
void count_this_thread_as_router();

/// Bytes allocated by the router's thread and not yet freed (headers excluded).
std::size_t router_live_bytes() noexcept;

}  // namespace autobahn_sync::testing::soak

// The tour of the embedded router and the synchronous client (calls, events, WAMP-CRA, a
// fault keyed to a protocol event, call latencies), shared by the `demo` binary and
// `wamp demo`.
#pragma once

namespace autobahn_sync::tools {

/// Runs the tour in this process, printing what happens on stdout. Returns the exit code:
/// 0 when every step behaved as expected, 1 otherwise. Takes about a second.
int run_demo_tour();

}  // namespace autobahn_sync::tools

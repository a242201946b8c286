// `client_options`: the knobs of an AutobahnSync client that are not part of the seed's run()
// signature: timeouts, the transport seam (how a connection is made), serializer preference,
// built-in authentication credentials, the request id source.
#pragma once

#include <chrono>
#include <exception>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "wamp/manual_clock.hpp"
#include "wamp/serializer.hpp"
#include "wamp/transport/connection.hpp"
#include "wamp/transport/tls_config.hpp"
#include "wamp/value.hpp"

namespace autobahn_sync {

/// Makes a connection to `url` on `executor` (every handler of the connection must run
/// there) and reports it to `done`. The seam through which tests and the testing framework
/// hand the client an in-process connection to an embedded router.
using connector = std::function<void(boost::asio::any_io_executor executor,
                                     const std::string& url, wamp::connect_handler done)>;

/// Automatic reconnection after the session was lost (transport loss, the router's GOODBYE,
/// ABORT or a protocol error; never after leave() or stop()). Each attempt connects and
/// joins again, then restores every subscription and registration made through the session.
/// Calls made while reconnecting throw TransportLost / SessionNotReady.
struct reconnect_options {
  bool enabled = false;
  /// Before the first attempt after a loss (0: at once). Each later attempt waits the
  /// previous delay times `multiplier` (taken as 1 when below), at most max_delay and at
  /// least 1 ms.
  std::chrono::milliseconds initial_delay = std::chrono::milliseconds(500);
  std::chrono::milliseconds max_delay = std::chrono::seconds(30);
  double multiplier = 2.0;
  /// Attempts after one loss before giving up; 0: unlimited. A session that stays joined
  /// for at least a second (and as long as the last delay) resets the count and the delay;
  /// one lost sooner (a router that welcomes and then drops it) counts as an attempt. Once
  /// the client gave up, call/publish/subscribe/register throw TransportLost saying so, and
  /// AutobahnSync::last_error() returns it.
  int max_attempts = 0;
};

struct client_options {
  /// Default for how long call(), publish(acknowledge), subscribe(), register_procedure(),
  /// unsubscribe() and unregister() wait for the router. Calls are canceled on expiry.
  std::chrono::milliseconds call_timeout = std::chrono::seconds(30);
  /// How long run() waits for the connection and the WELCOME.
  std::chrono::milliseconds join_timeout = std::chrono::seconds(30);
  /// How long leave()/stop() wait for the router's GOODBYE before dropping the connection.
  std::chrono::milliseconds leave_timeout = std::chrono::seconds(5);
  /// A blocked caller spins this long checking for its answer before it sleeps, and a
  /// callbacks thread that just ran a handler spins as long for the next one: waking a
  /// sleeping thread costs tens of microseconds, more than most loopback round trips.
  std::chrono::microseconds spin_wait = std::chrono::microseconds(20);

  /// Threads running handlers when the client spawns its callbacks runner (run() with
  /// blocking=false, run_in_io_context()). 1 (the default): handlers run one at a time.
  /// More: handlers may run concurrently and must synchronize themselves; run() then starts
  /// callback_threads + 1 threads that take turns at the I/O and the handlers (the thread
  /// that reads an invocation runs it: no hand-off on its path).
  /// 0: handlers run inline on the I/O thread, as in AutobahnPython or autobahn-cpp: no
  /// thread hand-off per event or invocation (the fastest callee), but a handler must not
  /// block, and blocking session calls from it throw Error at once (a publish without
  /// acknowledge waits for nothing: it is sent at once). The run() callback still runs on
  /// the runner.
  int callback_threads = 1;

  /// The threads the I/O thread would wake read the connection themselves, when they can:
  /// - a caller blocked in this client, while the session has no subscription or
  ///   registration (over RawSocket or WebSocket, not from a handler): its answer wakes it
  ///   directly instead of through the I/O thread;
  /// - the callbacks thread, while it has no handler to run and the session has
  ///   subscriptions or registrations: the invocation or event it reads runs at once.
  /// One thread hand-off less per call on each side (docs/benchmarks.md). The I/O thread
  /// takes the reading back once nobody read for a millisecond, or at once when something
  /// needs it, so what the router sends unasked (a GOODBYE, an INTERRUPT for a running
  /// handler) waits at most that long. on_join, on_leave and on_restore_failed still run on
  /// the I/O thread: when a caller or the callbacks thread read the session's end, on_leave
  /// follows there, after the calls it failed (TransportLost) returned. Applies to run()
  /// with one callbacks thread (or blocking), not with caller_driven_io, a given executor
  /// or a wait hook. false: only the I/O thread reads.
  bool callers_read = true;

  /// No I/O thread: the connection is read and written only by the application's threads
  /// while they wait in this client (a call, publish, leave or stop, and run() while it
  /// joins) or hand it work (a call_canceller), one thread at a time, the others sleeping
  /// until their answers are read for them or it is their turn. A sequential caller then
  /// reads its own answer: no thread hand-off on the way back (15-35 us less per call in
  /// most runs on a small machine, see docs/benchmarks.md; callers_read, the default, does
  /// the same with an I/O thread behind the callers, without the limits below). Between
  /// calls nothing is read, so this is for clients that only call and publish:
  /// - subscribe() and register_procedure() throw Error (their handlers would never run);
  /// - run() throws Error when `reconnect` is enabled or `executor` or `wait` is set;
  /// - what the router sends while no thread waits (its GOODBYE, the end of the connection,
  ///   a RawSocket PING) is handled at the next call, which fails with TransportLost when
  ///   the session ended meanwhile; a router that drops clients not answering its pings
  ///   (Crossbar.io's auto-ping) may drop one that stays idle longer than its timeout;
  /// - a message the socket does not take at once (larger than its free send buffer) is
  ///   finished at the next call;
  /// - on_challenge, on_join and on_leave run on the application thread that reads the
  ///   message they answer: a waiting thread, or one that hands the client work (an
  ///   unacknowledged publish, a call_canceller) while no other thread reads.
  /// The URL's host resolved by name still uses Asio's resolver thread while connecting.
  bool caller_driven_io = false;

  /// How connections are made; empty: the built-in transports (ws://, wss://, rs://, rss://, tcp://).
  connector connect;
  /// Serializers offered by the built-in transports, preferred first.
  std::vector<wamp::serializer_kind> serializers = {wamp::serializer_kind::json,
                                                    wamp::serializer_kind::msgpack};
  /// Limits of the built-in transports.
  wamp::transport_options transport;
  /// How wss:// and rss:// check the router (wamp/transport/tls.hpp): by default its
  /// certificate must chain to a CA of the system (or `tls.ca_file` / `tls.ca_pem`) and name
  /// the URL's host. A failed check makes run() throw ConnectionRefusedError saying which.
  wamp::tls_client_config tls;

  /// Credentials for the built-in challenge answers, used when no on_challenge handler is
  /// set: "ticket" answers with `ticket`, "wampcra" signs with `secret` (deriving the key
  /// when the challenge carries a salt: at most 1,000,000 iterations and 1024 bytes),
  /// "cryptosign" signs with `private_key` (32-byte Ed25519 seed, hex). Only a challenge for
  /// a method the HELLO offered (the authmethods) is answered; another aborts the join.
  std::string ticket;
  std::string secret;
  std::string private_key;

  /// Reconnection (off by default, as in the seed).
  reconnect_options reconnect;

  /// Called on the I/O thread each time the session is joined (also after a reconnect),
  /// with the session id; must not block, nor use the session but for a publish without
  /// acknowledge (sent at once). An exception it throws is dropped (as an event handler's);
  /// so is on_leave's.
  std::function<void(wamp::id session)> on_join;
  /// Called on the I/O thread each time the session ends; `why` is null after leave()/stop().
  std::function<void(std::exception_ptr why)> on_leave;
  /// Called on the I/O thread when, after a reconnect, the router refuses to restore a
  /// subscription or a registration (its ERROR: say, another session registered the
  /// procedure meanwhile); `uri` is the topic or procedure. The handle's active() is then
  /// false and it is not restored again. Same rules as on_join.
  std::function<void(const wamp::uri& uri, std::exception_ptr why)> on_restore_failed;

  /// Virtual time for tests: call, join and leave timeouts run on this clock (advance() it
  /// to expire them); so does the reconnect backoff. Null: real time.
  std::shared_ptr<wamp::manual_clock> clock;

  /// Source of request ids; empty: sequential from 1. An id outside 1..2^53, or one a
  /// pending request still uses, fails the request with Error (nothing is sent).
  std::function<wamp::id()> next_request_id;

  // ---- Simulation hooks (testing/simulation.hpp); both empty in normal use ----

  /// Runs the client on this executor instead of threads of its own: run() starts no I/O
  /// thread (the connection is serialized on a strand of it) and no callbacks threads
  /// (handlers are posted to it, in order). Whoever runs the executor must keep it running
  /// while a caller is blocked: set `wait` too when that is the caller's own thread.
  boost::asio::any_io_executor executor;

  /// How a blocked caller waits. Empty: it sleeps (after spin_wait) until its answer wakes
  /// it. Set: called instead, on the caller's thread, with `ready` (true once the answer, or
  /// a progressive result, arrived), the deadline on the client's clock
  /// (time_point::max(): none) and what waits ("call com.example.add"); it must return once
  /// ready() holds or the deadline passed, and may throw to end the wait (a simulation
  /// reports a deadlock so). A simulation runs the client's executor meanwhile.
  using wait_fn = std::function<void(const std::function<bool()>& ready,
                                     std::chrono::steady_clock::time_point deadline,
                                     std::string_view what)>;
  wait_fn wait;
};

}  // namespace autobahn_sync

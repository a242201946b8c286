// `AutobahnSync`: the synchronous WAMP client application (the seed's
// autobahn_sync.core.AutobahnSync), and the default instance behind the free functions
// autobahn_sync::run / subscribe / register_procedure / publish / call / stop / session.
//
//   autobahn_sync::AutobahnSync app;
//   app.subscribe("com.app.event", [](const wamp::list& args, const wamp::dict&,
//                                     const autobahn_sync::event_details&) { ... });
//   app.run("ws://127.0.0.1:8080/ws", "realm1");         // returns once joined
//   app.session().publish("com.app.event", {"trigger !"}, {}, {.exclude_me = false});  // to itself too
//   auto sum = app.session().call("com.app.add", {1, 2}).value();
//   app.stop();
//
// @par Threads
// - One I/O thread owns the connection and the session core: the client's own (run()), or
//   the threads of the caller's io_context (run_in_io_context(), serialized by a strand).
//   When it has nothing queued, a caller (or a handler answering) runs its step of the core
//   and the send on its own thread, under the strand's gate (wamp/transport/gated_executor.hpp);
//   with a client of its own I/O thread connected in-process to an embedded router, the
//   router's answers are delivered on the router's (or the sender's) thread the same way
//   while the session is joined and nothing of the application's would run there (handlers
//   on callback threads, no on_leave).
// - Handlers (subscribed and registered functions, the run() callback) run on the callbacks
//   runner, one at a time: a background thread the client spawns (run(blocking=false),
//   run_in_io_context()), or the thread that called run(blocking=true). With
//   run(blocking=false) and callback_threads > 1 the client's callback_threads + 1 threads
//   take turns at the I/O and the handlers (callbacks_runner::run_with_io): the thread that
//   read a message runs its handler, another takes over the I/O. A handler may call
//   any SyncSession method, including call() to a procedure of the same session; while it
//   waits, other handlers run on its thread (see callbacks_runner.hpp).
// - With client_options::executor (a simulation, testing/simulation.hpp) the client starts no
//   thread: I/O and handlers run on that executor, and blocked callers wait through
//   client_options::wait, which keeps it running.
// - on_challenge handlers run on the I/O thread and must not call the session.
// - Any number of application threads may use session() concurrently.
//
// @par Shutdown
// stop() wakes every blocked caller at once with NotRunningError, says GOODBYE (waiting at
// most client_options::leave_timeout), closes the connection, stops the callbacks runner and
// joins the threads it spawned (except the one it is called from). run(blocking=true) then
// returns; a stop() on another thread returns after it has (after the handler it runs, if
// any), and after a run() that was still joining has thrown; not so from on_leave. The
// destructor stops a running client, and waits for both, and for a stop() still running on
// another thread.
//
// @par Thread safety
// Distinct objects are independent. On a shared object: run()/stop() are serialized
// (AlreadyRunningError / NotRunningError report misuse); session(), register_procedure() and
// subscribe() may be called from any thread; on_challenge() and options() only before run().
#pragma once

#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "client/callbacks_runner.hpp"
#include "client/errors.hpp"
#include "client/options.hpp"
#include "client/session_core.hpp"
#include "client/sync_session.hpp"
#include "client/types.hpp"

namespace autobahn_sync {

inline constexpr const char* default_url = "ws://127.0.0.1:8080/ws";
inline constexpr const char* default_realm = "realm1";

/// The arguments of run() / run_in_io_context() as a struct (designated initializers).
struct run_options {
  std::string url = default_url;
  std::string realm = default_realm;
  /// Empty: the authmethods given to the constructor.
  std::vector<std::string> authmethods;
  std::string authid;
  std::string authrole;
  wamp::dict authextra;
  /// false: return once joined, handlers on a background thread. true: run handlers on the
  /// calling thread and return only after stop().
  bool blocking = false;
  /// Runs once init is done (joined, deferred registrations applied), on the callbacks
  /// runner (run) or on a spawned thread (run_in_io_context). An exception it throws is
  /// dropped under run(), as an event handler's, and kept in last_error() under
  /// run_in_io_context().
  std::function<void()> callback;
};

class AutobahnSync {
 public:
  explicit AutobahnSync(std::vector<std::string> authmethods = {}, client_options options = {});
  ~AutobahnSync();
  AutobahnSync(const AutobahnSync&) = delete;
  AutobahnSync& operator=(const AutobahnSync&) = delete;

  /// Sets the CHALLENGE answerer (return the AUTHENTICATE; throw to give up). Only before
  /// run(): throws AlreadyRunningError afterwards. Without one, the built-in answers of
  /// client_options (ticket, wampcra, cryptosign) are used.
  void on_challenge(challenge_handler handler);

  /// Registers a procedure. Before run(): remembered and registered at run time, in order,
  /// before run() returns (a failure makes run() throw), and again at every later run() of
  /// this client (as a Python decorator's registration is part of the app). After:
  /// SyncSession::register_procedure, for this run only.
  void register_procedure(const wamp::uri& procedure, procedure_handler handler,
                          register_options options = {});
  /// Subscribes to a topic; before run() deferred like register_procedure().
  void subscribe(const wamp::uri& topic, event_handler handler, subscribe_options options = {});

  /// Starts the I/O thread (none with client_options::executor), connects to `url` and
  /// joins `realm`.
  /// Returns (blocking=false) once joined and the deferred registrations are applied, or
  /// (blocking=true) after stop(). Throws AlreadyRunningError when running,
  /// ConnectionRefusedError when the connection fails, TransportLost when it is lost while
  /// joining, AbortError when the router aborts
  /// the join (wrong realm, authentication failed), ApplicationError for a failed deferred
  /// registration, ApplicationError wamp.error.timeout after client_options::join_timeout.
  void run(std::string url = default_url, std::string realm = default_realm,
           std::vector<std::string> authmethods = {}, std::string authid = {},
           std::string authrole = {}, wamp::dict authextra = {}, bool blocking = false,
           std::function<void()> callback = {});
  void run(const run_options& options);

  /// Starts the connection on the caller's io_context (the counterpart of run_in_twisted)
  /// and returns at once; a spawned thread waits for the join, applies the deferred
  /// registrations and then runs `callback`. A join failure is kept in last_error() and the
  /// callback is not run; an exception from the callback is kept there too. Throws
  /// AlreadyRunningError when running.
  void run_in_io_context(boost::asio::io_context& io, std::string url = default_url,
                         std::string realm = default_realm,
                         std::vector<std::string> authmethods = {}, std::string authid = {},
                         std::string authrole = {}, wamp::dict authextra = {},
                         std::function<void()> callback = {});
  void run_in_io_context(boost::asio::io_context& io, const run_options& options);
  /// The same on any executor (e.g. a simulation's); the client serializes on a strand.
  void run_on_executor(boost::asio::any_io_executor executor, const run_options& options);

  /// The session, or NotRunningError when not running.
  SyncSession& session();

  /// Terminates the WAMP session (see "Shutdown" above). Throws NotRunningError when not
  /// running. May be called from a handler.
  void stop();

  bool running() const;
  /// The error that ended a run_in_io_context() join, or that its callback threw, if any;
  /// else, once client_options::reconnect ran out of max_attempts, the TransportLost that
  /// says so (the one the session's calls then throw).
  std::exception_ptr last_error() const;
  /// The client's options; change them only while not running.
  client_options& options() { return options_; }

 private:
  using work_guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;

  void begin_run();
  void run_on_given_executor(const run_options& options);
  /// `driven_io`: the io_context waiting callers may run: a caller-driven client's
  /// (client_options::caller_driven_io), or one whose I/O thread leaves the reading to a
  /// waiting caller when it can (`io_thread`, client_options::callers_read).
  void start_session(boost::asio::any_io_executor executor, bool own_thread, const run_options& options,
                     std::shared_ptr<detail::waiter>& join_waiter,
                     boost::asio::io_context* driven_io = nullptr, bool io_thread = false);
  /// Throws Error for options that caller_driven_io cannot honour.
  void check_caller_driven(bool own_io_context) const;
  void wait_for_join(const std::shared_ptr<detail::waiter>& join_waiter);
  void apply_deferred();
  void teardown();
  /// Says that run() has set up what stop() and session() use (under mutex_).
  void mark_set_up();
  /// run() failed: tears down, or waits for the stop() another thread is doing.
  void abandon_run();
  void join_threads();
  /// Waits (under `lock` on mutex_) until no other thread is inside run().
  void await_run(std::unique_lock<std::mutex>& lock);
  /// Clears run_thread_ when run() returns or throws.
  struct leaving_run {
    AutobahnSync& client;
    ~leaving_run();
  };
  /// `shared_io`: the threads also drive it, taking turns (callbacks_runner::run_with_io).
  void start_runner_threads(boost::asio::io_context* shared_io = nullptr);

  mutable std::mutex mutex_;
  bool running_ = false;
  bool stopping_ = false;
  // run() has set up state_, session_, runner_, own_io_ and its threads. run() writes them
  // without the lock, so a stop() or session() from another thread while run() sets up
  // waits on lifecycle_cv_ for this; teardown's end (running_ false) is announced there too.
  bool set_up_ = false;
  // The thread inside run() (or run_in_io_context(), run_on_executor()), if any: stop() and
  // the destructor on another thread wait until it has left (await_run), so that nothing of
  // this client is destroyed under it (run(blocking=true)'s runner, a run() that fails
  // because of the stop). Announced on lifecycle_cv_.
  std::thread::id run_thread_;
  // teardown() has done all but wait for run_thread_: a run() that failed because of the
  // stop may throw (abandon_run) and so leave.
  bool torn_down_ = false;
  std::condition_variable lifecycle_cv_;
  std::vector<std::string> authmethods_;
  client_options options_;
  challenge_handler on_challenge_;
  std::vector<std::function<void(SyncSession&)>> deferred_;

  std::shared_ptr<callbacks_runner> runner_;
  std::unique_ptr<boost::asio::io_context> own_io_;
  std::vector<std::unique_ptr<boost::asio::io_context>> retired_ios_;
  std::optional<work_guard> work_;
  std::thread io_thread_;
  // run() with callbacks threads: runner_threads_ drive own_io_ too (no io_thread_).
  bool io_shared_with_runner_ = false;
  // run() with caller_driven_io: own_io_ runs only on threads waiting in the client.
  bool io_driven_by_callers_ = false;
  std::vector<std::thread> runner_threads_;
  std::thread callback_thread_;
  std::shared_ptr<detail::session_state> state_;
  std::unique_ptr<SyncSession> session_;
  std::vector<std::unique_ptr<SyncSession>> retired_sessions_;
  std::exception_ptr last_error_;
};

// ---- The default instance and its free functions (the seed's module-level API) ----

/// The default AutobahnSync instance (created on first use, lives until exit).
AutobahnSync& default_app();

void run(std::string url = default_url, std::string realm = default_realm,
         std::vector<std::string> authmethods = {}, std::string authid = {},
         std::string authrole = {}, wamp::dict authextra = {}, bool blocking = false,
         std::function<void()> callback = {});
void on_challenge(challenge_handler handler);
void subscribe(const wamp::uri& topic, event_handler handler, subscribe_options options = {});
void register_procedure(const wamp::uri& procedure, procedure_handler handler,
                        register_options options = {});
std::optional<wamp::id> publish(const wamp::uri& topic, wamp::list args = {},
                                wamp::dict kwargs = {}, const publish_options& options = {});
call_result call(const wamp::uri& procedure, wamp::list args = {}, wamp::dict kwargs = {},
                 const call_options& options = {});
SyncSession& session();
void stop();

}  // namespace autobahn_sync

// `wamp_fixture`: a realm up in one line for a Catch2 test. It starts an embedded router with
// one realm, hands out connected `AutobahnSync` clients (each named, so fault rules can pick
// its messages), puts a fault plan and a message trace between every client and the router,
// and at teardown stops everything and fails the test if anything leaked: a session,
// registration, subscription or pending call in the router, a fault rule that never fired, a
// thread started while the fixture lived that is still running once everything stopped, or a
// watched handler (watched_handler, watched_procedure) that started after its client left.
//
//   TEST_CASE_METHOD(autobahn_sync::testing::wamp_fixture, "add") {
//     auto& callee = client("callee");
//     callee.session().register_procedure("com.example.add", add);
//     auto drop = faults().install(match().type(wamp::message_type::result).nth(1), fault::drop());
//     call_options quick;
//     quick.timeout = std::chrono::milliseconds(100);
//     CHECK_THROWS_MATCHES(client("caller").session().call("com.example.add", {1, 2}, {}, quick),
//                          ApplicationError, has_error_uri("wamp.error.timeout"));  // no RESULT came
//     CHECK(client("caller").session().call("com.example.add", {1, 2}).value() == 3);  // the next one does
//   }
//
// Thread safety: use a fixture from the test's thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "client/autobahn_sync.hpp"
#include "router/router.hpp"
#include "testing/fault_plan.hpp"
#include "testing/message_trace.hpp"
#include "testing/simulation.hpp"
#include "testing/socket_link.hpp"

namespace autobahn_sync::testing {

/// How the fixture's clients reach its router.
enum class fixture_transport {
  inprocess,  // an in-process connection pair (fastest; serialized unless serializer is null)
  rawsocket,  // RawSocket on 127.0.0.1, an ephemeral port
  websocket,  // WebSocket on 127.0.0.1, an ephemeral port, path /ws
};
std::string_view to_string(fixture_transport t) noexcept;

struct fixture_options {
  /// The realm the fixture serves (open to anonymous sessions by default).
  router::realm_config realm = [] {
    router::realm_config r;
    r.name = "realm1";
    return r;
  }();
  fixture_transport transport = fixture_transport::inprocess;
  /// Serialization between clients and router (nullptr: in-process without serialization;
  /// JSON on sockets).
  const wamp::serializer* serializer = &wamp::json_serializer();
  /// The options of the clients the fixture hands out (its connector replaces `connect`).
  client_options client;
  /// The router's limits (join timeout, connections, pending invocations, ...).
  router::router_limits limits;
  /// Virtual time: the router's timeouts and the clients' call/join/leave timeouts run on
  /// a manual clock that only advance() moves.
  bool virtual_time = false;
  /// Seeds the router's ids and nonces; 0 = a fresh seed each run (in a simulation: the
  /// seed resolve_seed() finds: WAMP_SIM_SEED, Catch2's --rng-seed, else random).
  std::uint64_t seed = 0;
  /// How long the teardown waits for what is still on its way out (a closing connection's
  /// session, a thread that is ending) before it calls it a leak.
  std::chrono::milliseconds teardown_settle = std::chrono::seconds(5);
  /// How long stop_clients() (and so the teardown) gives each client's stop(), on top of
  /// twice its leave_timeout. A client still stopping then (a handler of it that never
  /// returns) is reported on stderr with the trace, and the process aborts: a test fails
  /// there and then instead of hanging until the runner's timeout.
  std::chrono::milliseconds stop_timeout = std::chrono::seconds(30);
  /// Replaces the report-and-abort of stop_timeout (for tests of the fixture); gets the
  /// report, on the watchdog's thread. The stop() still has to return.
  std::function<void(const std::string& report)> on_stop_stuck;
  /// Deterministic simulation (simulation.hpp): router, in-process transports, clients and
  /// their handlers on one thread that runs only while the test waits, on virtual time that
  /// jumps; a wait nothing can answer throws deadlock_error. In-process transport only.
  bool simulation = false;
  /// In a simulation: the order of ready handlers, drawn from the seed (each seed another
  /// interleaving) or the order they were posted.
  testing::ready_order ready_order = testing::ready_order::seeded;
};

/// One transport and serializer the same scenario can run over.
struct transport_variant {
  fixture_transport transport;
  wamp::serializer_kind serializer;
  /// e.g. "rawsocket/msgpack", for the test's name in reports.
  std::string name() const;
  /// `base` with this transport and serializer.
  fixture_options apply(fixture_options base = {}) const;
};

/// Every transport x serializer, for one GENERATE:
///   const auto variant = GENERATE(from_range(testing::all_transports()));
///   wamp_fixture f(variant.apply());
std::vector<transport_variant> all_transports();

class wamp_fixture {
 public:
  explicit wamp_fixture(fixture_options options = {});
  /// Stops every client and the router; checks for leaks unless check_leaks(false).
  ~wamp_fixture();

  wamp_fixture(const wamp_fixture&) = delete;
  wamp_fixture& operator=(const wamp_fixture&) = delete;

  router::router& the_router() { return *router_; }
  /// With fixture_options::virtual_time: moves time forward; every timeout that passed
  /// fires (the router's at once, the clients' when their waiting callers wake). In a
  /// simulation: runs everything due on the way (simulation::advance).
  void advance(std::chrono::milliseconds d);
  /// The manual clock (null without virtual_time or simulation).
  wamp::manual_clock* clock() { return clock_.get(); }
  /// The simulation (null without fixture_options::simulation).
  testing::simulation* sim() { return sim_.get(); }
  /// The seed of the router's ids (and, in a simulation, of everything).
  std::uint64_t seed() const noexcept { return seed_; }
  fault_plan& faults() { return *plan_; }
  /// Pieces the router's end wrote to the client named `name` for the messages fault::slice
  /// rules selected, over all its connections (socket fixtures; 0 in-process, where nothing
  /// is sliced).
  std::size_t pieces_written_to(const std::string& name) const { return links_->pieces_written_to(name); }
  /// The message trace. In a simulation, what is ready runs first (e.g. the CANCEL a timed
  /// out call() posted as it returned), so the trace shows a system at rest.
  message_trace& trace() {
    if (sim_) sim_->run_ready();
    return *trace_;
  }
  const std::string& realm_name() const { return options_.realm.name; }
  /// Where the router listens ("rs://127.0.0.1:PORT", "ws://127.0.0.1:PORT/ws"), or
  /// "inprocess://" for in-process fixtures.
  const std::string& url() const { return url_; }

  /// Client options whose connections go to this fixture's router, traced and subject to the
  /// fault plan under the session name `name`. Over sockets they speak the fixture's
  /// serializer, or the one `base.serializers` names if it names exactly one (a JSON client
  /// beside MsgPack ones).
  client_options options_for(const std::string& name, client_options base = {});

  /// A client named `name`, joined (run(blocking=false)) on first use. `setup` runs before
  /// run() on a new client (for on_challenge, deferred registrations, options). Thread-safe:
  /// threads asking for a client another thread is creating wait for it (one client per
  /// name); asking for a client from its own creation (its `setup` or on_challenge) throws
  /// std::logic_error.
  AutobahnSync& client(const std::string& name, run_options run = {},
                       const std::function<void(AutobahnSync&)>& setup = {});
  /// The session of the client named `name` (joining it first if needed).
  SyncSession& session(const std::string& name) { return client(name).session(); }

  /// Stops every client (in creation order).
  void stop_clients();
  /// Leaves the session of the client named `name` (SyncSession::leave); from its return on,
  /// a watched handler of that client must not start.
  void leave(const std::string& name);

  /// `handler`, watched for the rule "no handler starts after its client left": each start
  /// is written to the trace as a line for the client named `name` (its EVENT, with the note
  /// "handler started"), and a start after that client's stop() or leave() returned — through
  /// the fixture: stop_clients(), leave(), the teardown — with the note "handler started after
  /// its client left", which check_trace_invariants (so explore and swarm) and the teardown
  /// report. A new client under the same name starts afresh. The handler keeps the trace alive.
  event_handler watched_handler(const std::string& name, event_handler handler);
  /// The same for a procedure (its line is the INVOCATION).
  procedure_handler watched_procedure(const std::string& name, procedure_handler handler);

  /// What is left in the router after every client stopped: descriptions of leaked
  /// sessions, registrations, subscriptions and pending calls, and unfired fault rules.
  /// Waits up to `settle` for connections that are closing to reach the router.
  std::vector<std::string> leaks(std::chrono::milliseconds settle = std::chrono::seconds(5));

  /// Threads of the process that were not there when the fixture was made and are still
  /// running (not exiting), but the router's until the teardown stopped it: e.g. "2
  /// thread(s) started during the test still run: 'leaky' (tid 4242), 'x' (tid 4243)". Empty
  /// when there are none. Waits up to `settle` for them to end. Counts every such thread,
  /// whoever started it (clients of the fixture that still run included): a thread the test
  /// starts while the fixture lives must have ended (be joined) before the teardown.
  std::vector<std::string> leaked_threads(std::chrono::milliseconds settle = std::chrono::seconds(5)) const;

  /// Turns the teardown leak check off, threads included (for tests that leave things
  /// behind on purpose).
  void check_leaks(bool on) { check_leaks_ = on; }

 private:
  // How long a client's stop() may take before stop_clients() calls it stuck.
  std::chrono::milliseconds stop_limit(std::chrono::milliseconds leave_timeout) const;
  std::vector<std::string> router_leaks();

  std::set<int> threads_at_start_;  // thread ids (/proc/self/task) before the fixture made any
  std::set<int> router_threads_;    // the ones the router started, until the teardown stops it
  fixture_options options_;
  std::unique_ptr<testing::simulation> sim_;  // outlives everything that runs on it
  std::uint64_t seed_ = 0;
  std::shared_ptr<wamp::manual_clock> clock_;
  std::uint64_t expire_listener_ = 0;
  std::shared_ptr<fault_plan> plan_;
  std::shared_ptr<message_trace> trace_;
  std::shared_ptr<socket_links> links_ = std::make_shared<socket_links>();  // before router_: it uses them
  std::unique_ptr<router::router> router_;
  std::string url_ = "inprocess://";
  // Under clients_mutex_ (references to the clients stay valid until stop_clients()).
  std::vector<std::pair<std::string, std::unique_ptr<AutobahnSync>>> clients_;
  std::map<std::string, std::thread::id> creating_;  // names being created, by whom
  std::mutex clients_mutex_;
  std::condition_variable clients_created_;
  AutobahnSync* find_client_locked(const std::string& name);
  // Names of the clients whose stop() or leave() returned (shared with watched handlers).
  struct left_clients {
    std::mutex mutex;
    std::set<std::string> names;
    bool contains(const std::string& name) {
      std::lock_guard lock(mutex);
      return names.count(name) != 0;
    }
    void set(const std::string& name, bool left) {
      std::lock_guard lock(mutex);
      if (left) names.insert(name); else names.erase(name);
    }
  };
  std::shared_ptr<left_clients> left_ = std::make_shared<left_clients>();
  bool check_leaks_ = true;
};

}  // namespace autobahn_sync::testing

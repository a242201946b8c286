// The router's sans-I/O core: sessions from HELLO to GOODBYE over any number of realms.
// Messages go in through receive(); messages come out through each session's sink, during
// the call. No sockets, no threads, no clock of its own: the I/O layer (router.hpp) or a test
// drives it, and supplies the clock, the seed of every id and the source of nonces.
//
// Thread safety: not thread-safe; use from one thread (the router's).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>

#include "router/authenticator.hpp"
#include "router/config.hpp"
#include "router/realm.hpp"
#include "router/session.hpp"
#include "wamp/id.hpp"

namespace autobahn_sync::router {

/// What one client may cost the router. Every limit has its own clear consequence, and each
/// time one acts the router logs one line through core_options::log, starting with
/// "limit <name>: " and naming the session and peer (or the peer alone before a session).
/// The transport's limits (message size, handshake timeout) are in transport_options.
struct router_limits {
  /// Connections served at once (one session each); more are closed at once. 0: no limit.
  std::size_t max_connections = 10'000;
  /// Time from connecting to WELCOME (HELLO, and the whole authentication): a connection
  /// that has not joined by then gets ABORT wamp.error.timeout and is closed.
  std::chrono::milliseconds join_timeout = std::chrono::seconds(30);
  /// Time a session killed with wamp.session.kill has to answer the router's GOODBYE: past
  /// it, its connection is closed.
  std::chrono::milliseconds goodbye_timeout = std::chrono::seconds(10);
  /// Invocations a callee may have outstanding; a call past it fails with
  /// wamp.error.unavailable and the callee is not bothered.
  std::size_t max_pending_invocations_per_callee = 10'000;
  /// Calls one caller may have waiting for their results; a call past it fails with
  /// wamp.error.limit_reached (the caller holds too much, like the two limits below).
  std::size_t max_pending_calls_per_session = 10'000;
  /// Subscriptions and registrations one session may hold; past it: wamp.error.limit_reached.
  std::size_t max_subscriptions_per_session = 10'000;
  std::size_t max_registrations_per_session = 10'000;
};

struct core_options {
  using time_point = std::chrono::steady_clock::time_point;
  router_limits limits;
  /// Seeds session, publication, subscription and registration ids and nonces; 0 = entropy.
  std::uint64_t seed = 0;
  /// The clock call timeouts run on (default: steady_clock).
  std::function<time_point()> clock;
  /// Milliseconds since the Unix epoch, for challenge timestamps (default: system_clock).
  std::function<std::int64_t()> wall_clock;
  /// Random bytes for nonces and challenges (default: derived from the seed when one is
  /// given, else OpenSSL).
  random_bytes_fn random;
  /// Receives one line per join, leave, aborted session and limit acting (default: nothing
  /// is logged).
  std::function<void(const std::string& line)> log;
};

class router_core {
 public:
  using time_point = core_options::time_point;

  explicit router_core(core_options options = {});
  ~router_core();

  /// Adds a realm; throws config_error when one of that name exists.
  realm& add_realm(realm_config config);
  /// Removes a realm: its sessions get GOODBYE wamp.close.close_realm. False if unknown.
  bool remove_realm(const std::string& name);
  realm* find_realm(const std::string& name);

  /// A new transport connection: returns the id its session will have.
  /// `auth`: the listener's own authentication (replacing the realms'), or null.
  wamp::id attach(session_sink sink, transport_details transport = {},
                  std::shared_ptr<const transport_auth> auth = nullptr);
  /// A message from a connection.
  void receive(wamp::id connection, wamp::message&& msg);
  /// Bytes from a connection that are not a valid message: ABORT protocol_violation, close.
  /// `limit`: the limit they broke (e.g. "max_message_size"), named in the log line.
  void receive_bad(wamp::id connection, const std::string& detail, std::string_view limit = {});
  /// The connection's transport is gone; everything its session held is freed.
  void detach(wamp::id connection);

  /// Sends GOODBYE `reason` to every established session and closes the other connections.
  /// Their leaves publish no meta events: nobody stays to hear them.
  void shutdown(const std::string& reason);
  /// Ends one session with GOODBYE `reason` (the meta API's wamp.session.kill).
  bool kill(wamp::id session, const std::string& reason, const std::string& message);

  /// When the next call or join timeout falls due, if any; call expire() then.
  std::optional<time_point> next_deadline() const;
  void expire();

  session* find_session(wamp::id id);
  std::size_t connection_count() const noexcept { return sessions_.size(); }
  std::size_t realm_count() const noexcept { return realms_.size(); }
  /// Connections a deadline watches: those without a joined session, and killed sessions
  /// that have not answered their GOODBYE.
  std::size_t join_deadline_count() const noexcept { return join_deadlines_.size(); }

  // Services for realms, brokers and dealers.
  wamp::id new_global_id();
  time_point now() const { return options_.clock(); }
  std::int64_t wall_ms() const { return options_.wall_clock(); }
  /// The wall clock as the meta API reports times: "2026-11-27T03:20:01.123Z".
  std::string wall_iso8601() const;
  std::mt19937_64& rng() { return rng_; }
  const random_bytes_fn& random() const { return options_.random; }
  const router_limits& limits() const noexcept { return options_.limits; }
  /// ABORT `reason` and close the connection. `limit`: the limit that acted, for the log.
  void abort_session(session& s, const std::string& reason, const std::string& message,
                     std::string_view limit = {});

  /// Logs that `limit` acted: "limit <name>: session=<id> peer=<peer> <what>".
  void log_limit(std::string_view limit, const session& s, const std::string& what) const;
  /// The same for a peer without a session (yet): "limit <name>: peer=<peer> <what>".
  void log_limit(std::string_view limit, const std::string& peer, const std::string& what) const;
  /// One line for core_options::log.
  void log(const std::string& line) const {
    if (options_.log) options_.log(line);
  }

 private:
  void on_hello(session& s, wamp::hello&& msg);
  void on_authenticate(session& s, const wamp::authenticate& msg);
  void apply(session& s, realm& r, auth_decision&& d);
  void end_session(session& s);  // leaves its realm, back to awaiting_hello

  core_options options_;
  std::mt19937_64 rng_;
  wamp::random_id_source ids_;
  std::map<std::string, std::unique_ptr<realm>> realms_;
  std::unordered_map<wamp::id, std::unique_ptr<session>> sessions_;
  // Connections that have not joined yet, by the time they must have, and killed sessions by
  // the time they must have answered GOODBYE: one entry each at most, removed when the session
  // joins or its connection goes (so that finding the next deadline does not walk past those
  // of sessions that joined since).
  using join_deadline_map = std::multimap<time_point, wamp::id>;
  join_deadline_map join_deadlines_;
  std::unordered_map<wamp::id, join_deadline_map::iterator> join_deadline_of_;
  // The realm's authenticator's decision; one that throws refuses the peer.
  template <class Ask>
  auth_decision ask_authenticator(const session& s, Ask&& ask);
  void arm_join_deadline(wamp::id id) { arm_deadline(id, options_.limits.join_timeout); }
  void arm_deadline(wamp::id id, std::chrono::milliseconds timeout);
  void disarm_join_deadline(wamp::id id);
};

}  // namespace autobahn_sync::router

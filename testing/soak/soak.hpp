// `run_soak`: a soak and load run on loopback, bounded in time. Starts the embedded router
// in this process with a RawSocket and a WebSocket listener on 127.0.0.1 (ephemeral ports),
// joins `sessions` AutobahnSync clients over them, and drives `calls` calls and about
// `events` events through it, checking every message end to end by sequence numbers:
//
// - session i registers `soak.echo.<i>` and subscribes to `soak.topic.<i % topics>`;
// - callers call other sessions' procedures with [caller, seq, target]; every callee checks
//   the call is addressed to it and that each caller's sequence only grows (no duplicate),
//   every caller checks the result echoes its own request and came from the callee it
//   addressed;
// - publishers publish (acknowledged) [publisher, seq, topic] to a topic of other sessions;
//   every subscriber checks the topic is its own and that each publisher's sequence arrives
//   complete, in order, without duplicates.
//
// Memory is sampled at start, after joining, after warm-up, in the middle, at the end and
// after the clients left (see memory_sample for what is measured). Used by the
// //testing/soak binary (full size) and //testing/soak:soak_short_test (CI size).
//
//   auto report = autobahn_sync::testing::soak::run_soak({.sessions = 50, .calls = 20'000});
//   std::cout << report.describe();
//   return report.ok() ? 0 : 1;
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "wamp/serializer.hpp"
#include "wamp/transport/connection.hpp"

namespace autobahn_sync::testing::soak {

enum class transport_kind { rawsocket, websocket };
std::string to_string(transport_kind t);

struct soak_options {
  /// Concurrent sessions; session i uses transports[i % transports.size()].
  int sessions = 1000;
  /// Calls in total, spread evenly over the sessions as callers.
  std::uint64_t calls = 1'000'000;
  /// Events to deliver in total (publications × the subscribers that receive them); the
  /// publications are rounded up so that at least this many events are delivered.
  std::uint64_t events = 1'000'000;
  std::vector<transport_kind> transports = {transport_kind::rawsocket, transport_kind::websocket};
  wamp::serializer_kind serializer = wamp::serializer_kind::msgpack;
  /// The whole run (join, workload, drain, leave) must finish within this; else it stops
  /// early and the report says timed_out.
  std::chrono::seconds max_duration{600};
  /// Sessions subscribed to each topic (the fan-out of one publication).
  int subscribers_per_topic = 2;
  /// Threads issuing the blocking calls and publications; each drives its own sessions.
  int driver_threads = 32;
  /// Threads running the clients' shared io_context (every session on its own strand).
  int client_io_threads = 2;
  /// Share of the workload after which the warm-up sample is taken; flatness is judged
  /// from there.
  double warmup_fraction = 0.1;
  /// The router's live heap (memory_sample::router_heap_bytes) may grow from the warm-up
  /// sample to the middle and to the end by at most
  /// max(memory_tolerance_fraction × its size at warm-up, memory_tolerance_floor_bytes).
  double memory_tolerance_fraction = 0.10;
  std::size_t memory_tolerance_floor_bytes = std::size_t{4} << 20;
  /// How long, after the last publication was acknowledged, the soak waits for every event
  /// to arrive before it counts the missing ones as lost.
  std::chrono::seconds drain_timeout{30};
  /// Wraps each client's connection (e.g. in a testing::faulty_connection, to check that the
  /// soak notices a lost or duplicated message); null: the connection as made.
  std::function<wamp::connection_ptr(wamp::connection_ptr connection, int session)>
      wrap_client_connection;
  /// Receives a line per phase and per memory sample while the soak runs (may be empty).
  std::function<void(const std::string&)> log;
};

/// One memory and router-state sample. The router and its clients share this process:
/// - `router_heap_bytes`: the router's own allocated state, i.e. the bytes allocated through
///   operator new on the router's I/O thread and not yet freed (router_memory.hpp): its
///   sessions, realms, registrations, subscriptions, pending calls, sockets and buffers.
/// - `rss_bytes`: the whole process's VmRSS (router, 2 × sessions sockets, the clients and
///   their threads, the soak's bookkeeping).
/// - `heap_bytes`: the whole process's malloc in use (mallinfo2: arena bytes in use +
///   mmapped blocks), without the allocator's retention.
struct memory_sample {
  std::string label;
  double elapsed_seconds = 0;
  std::uint64_t operations_done = 0;  // calls + publications issued so far
  std::size_t rss_bytes = 0;
  std::size_t heap_bytes = 0;
  std::size_t router_heap_bytes = 0;
  std::size_t threads = 0;  // the process's (Threads: of /proc/self/status)
  std::size_t router_sessions = 0;
  std::size_t router_registrations = 0;
  std::size_t router_subscriptions = 0;  // distinct subscriptions (one per topic)
  std::size_t router_pending_calls = 0;
  std::size_t router_connections = 0;
};

struct soak_report {
  soak_options options;
  int sessions_joined = 0;
  int topics = 0;
  double join_seconds = 0;
  double workload_seconds = 0;  // from the first call to the last event delivered
  double total_seconds = 0;

  std::uint64_t calls_made = 0;
  std::uint64_t calls_ok = 0;
  std::uint64_t calls_failed = 0;        // call() threw (error, timeout, transport lost)
  std::uint64_t results_misrouted = 0;   // a result that is not the answer to this request
  std::uint64_t invocations_received = 0;
  std::uint64_t invocations_misrouted = 0;   // addressed to another callee
  std::uint64_t invocations_duplicated = 0;  // a caller's sequence number seen again or late

  std::uint64_t publications = 0;
  std::uint64_t publications_failed = 0;  // publish() threw
  std::uint64_t events_expected = 0;
  std::uint64_t events_received = 0;
  std::uint64_t events_misrouted = 0;     // another topic's, or the subscriber's own
  std::uint64_t events_duplicated = 0;    // a sequence number already seen (or skipped)
  std::uint64_t events_out_of_order = 0;  // a sequence number past the next expected one
  std::uint64_t events_lost = 0;          // expected, never delivered

  std::vector<memory_sample> samples;  // start, joined, warm-up, middle, end, left
  /// The router's heap growth from warm-up to the larger of middle and end (0 when it shrank).
  std::size_t router_heap_growth_bytes = 0;
  std::size_t memory_tolerance_bytes = 0;
  bool memory_flat = false;
  std::size_t rss_growth_bytes = 0;  // the process's, end − warm-up (reported, not judged)
  bool router_state_freed = false;  // no session, registration, subscription or call left
  bool timed_out = false;
  std::vector<std::string> errors;  // the first few problems, described

  std::uint64_t losses() const;  // every lost, duplicated, misrouted or failed message
  bool ok() const;
  /// The summary table, the memory samples and the verdict, for humans.
  std::string describe() const;
};

/// Runs the soak; returns its report (never throws for what the soak finds; throws
/// std::invalid_argument for unusable options and std::runtime_error when the router
/// cannot listen).
soak_report run_soak(const soak_options& options);

/// Parses the command line of the soak binary; throws std::invalid_argument saying which
/// flag is wrong. `--help` sets `help`.
struct command_line {
  soak_options options;
  bool help = false;
};
command_line parse_command_line(const std::vector<std::string>& args);
std::string usage();

}  // namespace autobahn_sync::testing::soak

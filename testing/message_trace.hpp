// The message trace: every message that passed a faulty connection, in order, with what a
// rule did to it. Tests query it ("the callee received INTERRUPT with mode kill"), print it
// when they fail (one readable line per message) or save it as JSON lines.
//
// Thread safety: shared objects are safe (it locks).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "testing/message_facts.hpp"
#include "wamp/message.hpp"

namespace autobahn_sync::testing {

struct trace_entry {
  std::uint64_t sequence = 0;          // 1, 2, 3, ... in the order messages passed
  std::chrono::milliseconds time{0};   // the trace clock's time (virtual in simulations)
  std::string session;
  direction dir = direction::to_router;
  wamp::message msg;
  std::string rule;  // the rule that acted on it, if any
  std::string note;  // what happened: "", "dropped", "held", "corrupted", "injected", ...

  wamp::message_type type() const { return wamp::type_of(msg); }
  /// One readable line, e.g. `#7 +12ms alice to_router CALL #3 com.example.add [1,2] {}`.
  std::string format() const;
  /// One JSON object (a line of the JSON-lines form).
  std::string to_json() const;
};

class message_trace {
 public:
  /// Keeps at most `capacity` entries (the oldest are forgotten, and counted).
  explicit message_trace(std::size_t capacity = 100'000) : capacity_(capacity) {}

  /// The clock stamped on entries (default: milliseconds since the trace was made).
  void set_clock(std::function<std::chrono::milliseconds()> clock);

  /// Appends an entry stamped with the trace clock's time, less `earlier` (a delayed message
  /// is stamped with the time it was due, even when its timer ran a little later).
  void record(const std::string& session, direction dir, const wamp::message& msg,
              std::string rule = {}, std::string note = {},
              std::chrono::milliseconds earlier = std::chrono::milliseconds(0));

  std::vector<trace_entry> entries() const;
  /// Entries for which `predicate` holds.
  std::vector<trace_entry> select(const std::function<bool(const trace_entry&)>& predicate) const;
  /// Entries of one type, optionally of one direction and session.
  std::vector<trace_entry> of_type(wamp::message_type type, std::optional<direction> dir = {},
                                   std::optional<std::string> session = {}) const;
  std::size_t size() const;
  /// Entries forgotten because of the capacity.
  std::size_t forgotten() const;

  /// Every entry as a readable line.
  std::string format() const;
  /// Every entry as JSON lines.
  std::string to_json_lines() const;
  /// A hash of the sequence of (session, direction, message, rule): equal for equal runs.
  std::uint64_t fingerprint() const;

  void clear();

 private:
  mutable std::mutex mutex_;
  std::size_t capacity_;
  std::deque<trace_entry> entries_;
  std::size_t forgotten_ = 0;
  std::uint64_t next_sequence_ = 1;
  std::function<std::chrono::milliseconds()> clock_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace autobahn_sync::testing

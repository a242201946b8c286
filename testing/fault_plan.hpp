// Faults keyed to protocol events: rules that select messages (by type, direction, session,
// URI, phase, count or predicate) and act on them (drop, duplicate, corrupt, truncate,
// replace, hold and release, answer in the router's place, inject, close the transport,
// with a WebSocket close code or not). Link rules shape the connection as a proxy like
// toxiproxy would (latency with jitter, bandwidth, slicing into small writes, a cut after N
// bytes) and apply on top of whatever rule decides a message's fate; handshake rules make
// the router refuse RawSocket handshakes with an error code.
//
// A `fault_plan` is shared by every connection of a realm that should obey it; each
// `faulty_connection` (faulty_connection.hpp) asks the plan what to do with every message that
// passes. Rules are checked in install order and the first one that acts wins. A rule lives
// as long as its `rule_handle`; each rule counts its hits, and a rule that never fired is
// reported by `unfired()` unless it was marked optional.
//
// Thread safety: a fault_plan may be shared between threads (it locks); rule_handle objects
// are not thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "testing/message_facts.hpp"
#include "wamp/message.hpp"

namespace autobahn_sync::testing {

/// A message passing through a faulty connection, as rules see it.
struct observed_message {
  direction dir;
  const std::string& session;  // the name the test gave the session's connection
  session_phase phase;         // the phase before this message
  const wamp::message& msg;
};

/// Which messages a rule selects. Every filter that is set must pass; then `nth`/`every`
/// count the messages that passed (whether or not an earlier rule acted on them) and pick
/// some of them.
class match {
 public:
  match& type(wamp::message_type t) { type_ = t; return *this; }
  match& to_router() { dir_ = direction::to_router; return *this; }
  match& to_client() { dir_ = direction::to_client; return *this; }
  match& session(std::string name) { session_ = std::move(name); return *this; }
  match& uri(std::string u) { uri_ = std::move(u); return *this; }
  match& uri_prefix(std::string p) { uri_prefix_ = std::move(p); return *this; }
  match& phase(session_phase p) { phase_ = p; return *this; }
  /// `predicate` runs while the plan is locked: it must not call into the plan (install(),
  /// hits(), release(), ...).
  match& where(std::function<bool(const observed_message&)> predicate) {
    predicate_ = std::move(predicate);
    return *this;
  }
  /// Only the k-th message (1-based) that passes the filters.
  match& nth(std::size_t k) { nth_ = k; return *this; }
  /// Every k-th message that passes the filters (the k-th, 2k-th, ...).
  match& every(std::size_t k) { every_ = k; return *this; }

  /// True when `m` passes every filter (counting is the plan's job).
  bool passes(const observed_message& m) const;
  /// True when the `count`-th passing message is picked.
  bool picks(std::size_t count) const;
  /// A short description for trace lines and failure messages.
  std::string describe() const;

 private:
  std::optional<wamp::message_type> type_;
  std::optional<direction> dir_;
  std::optional<std::string> session_;
  std::optional<std::string> uri_;
  std::optional<std::string> uri_prefix_;
  std::optional<session_phase> phase_;
  std::function<bool(const observed_message&)> predicate_;
  std::size_t nth_ = 0;
  std::size_t every_ = 0;
};

/// What a rule does with a message it selected.
struct action {
  enum class kind {
    drop,            // the message vanishes
    duplicate,       // delivered twice
    corrupt,         // replaced by bytes that do not decode (toward the router over a
                     // socket fixture: the transport drops instead, as no raw bytes can be
                     // written there)
    truncate,        // its encoding is cut short (also undecodable; the same caveat)
    replace,         // another message is delivered instead
    hold,            // kept until the rule's handle releases it
    answer,          // not delivered; a message is sent back to its sender instead
    inject_before,   // another message goes the same way first, then this one
    inject_after,    // this one, then another message the same way
    close_before,    // the transport drops before the message is delivered
    close_after,     // the transport drops right after the message is delivered
    close_websocket_before,  // closed with a WebSocket close code instead of delivering it
    close_websocket_after,   // delivered, then closed with a WebSocket close code
    // Link rules: they shape delivery and never compete with the rules above.
    latency,            // delivered `delay` ± `jitter` later, in order
    bandwidth,          // delivered after its encoded size at `bytes` per second, queued
    slice,              // written in pieces of at most `bytes`
    close_after_bytes,  // the connection is cut once `bytes` bytes passed one way
    // Handshake rules: they select RawSocket handshakes, not messages (only nth/every apply).
    refuse_rawsocket_handshake,  // the router answers with error `handshake_error` (1..4)
  };
  kind what = kind::drop;
  /// For replace/answer/inject: the message to send, computed from the selected one.
  std::function<wamp::message(const wamp::message&)> make;
  /// latency: the base delay and the jitter; the generator draws the jitter (shared by the
  /// copies of one action, so a rule's draws form one seeded sequence).
  std::chrono::microseconds delay{0};
  std::chrono::microseconds jitter{0};
  std::shared_ptr<std::mt19937_64> random;
  /// bandwidth: bytes per second; slice: the largest piece; close_after_bytes: the limit.
  std::size_t bytes = 0;
  /// close_websocket_*: the close frame's code and reason.
  std::uint16_t close_code = 0;
  std::string close_reason;
  /// refuse_rawsocket_handshake: the RawSocket error code.
  int handshake_error = 0;

  std::string name() const;
  /// True for latency, bandwidth, slice and close_after_bytes.
  bool shapes_link() const noexcept;
};

/// Action constructors.
namespace fault {
action drop();
action duplicate();
action corrupt();
action truncate();
action hold();
action replace(wamp::message with);
action replace(std::function<wamp::message(const wamp::message&)> make);
action answer(std::function<wamp::message(const wamp::message&)> make);
/// Answers a request (CALL, REGISTER, SUBSCRIBE, ...) with an ERROR in the router's place.
action answer_error(std::string error_uri, wamp::list args = {}, wamp::dict kwargs = {});
/// Answers a HELLO with ABORT and the given reason in the router's place.
action abort_hello(std::string reason);
/// Answers a HELLO with a CHALLENGE of `method` and `extra` in the router's place (to drive a
/// client's on_challenge). The router never saw the HELLO: pair it with reject_authenticate
/// (or another answer to the AUTHENTICATE), as the router would abort an AUTHENTICATE that
/// comes before HELLO.
action challenge(std::string method, wamp::dict extra = {});
/// Answers an AUTHENTICATE with ABORT `reason` in the router's place.
action reject_authenticate(std::string reason = "wamp.error.authentication_failed");
/// Denies one action: answers the request (CALL, REGISTER, PUBLISH, SUBSCRIBE) with
/// wamp.error.not_authorized in the router's place.
action deny();
action inject_before(wamp::message msg);
action inject_after(wamp::message msg);
action close_before();
action close_after();

/// Closes the connection with a WebSocket close frame of `code` and `reason` instead of
/// delivering the message (`_after`: right after delivering it). On WebSocket fixtures the
/// rule sits at the client's end, which starts the close handshake with that code; the
/// router's end answers with the same code (RFC 6455 5.5.1), so the router sees the code and
/// the client's TransportLost names it. Other transports have no close codes: they close in
/// order as close() does (RawSocket: TCP shutdown; in-process: the orderly close), and only
/// the trace shows the code.
action close_websocket(std::uint16_t code, std::string reason = {});
action close_websocket_after(std::uint16_t code, std::string reason = {});

/// Link rules (toxiproxy's latency, bandwidth, slicer and limit_data, per message). They
/// apply to every message they select, on top of the rule (if any) that decides its fate;
/// delays run on the fixture's virtual clock when it has one (they fire when advance() passes
/// them), on real time otherwise. Messages keep their order per connection and direction, as
/// on a TCP stream: a message is never delivered before one that went the same way earlier.
///
/// Delivers each message `base` ± a jitter drawn uniformly from [-jitter, +jitter] (never
/// below zero) later. The jitter comes from a generator seeded with `seed`, one per rule,
/// drawn in the order messages reach the rule: the same seed gives the same delays.
action latency(std::chrono::milliseconds base, std::chrono::milliseconds jitter = {}, std::uint64_t seed = 1);
/// Delivers each message after its encoded size (the serializer's bytes, without framing)
/// at `bytes_per_second` has passed, behind the messages sent before it (a link of that rate).
action bandwidth(std::size_t bytes_per_second);
/// Writes each message in pieces of at most `max_bytes` (RawSocket: separate writes of the
/// frame; WebSocket: a fragmented message). Only an end's own writes can be sliced: on socket
/// fixtures the client's end slices messages to_router and the router's end (wrapped by the
/// fixture through router_options::wrap_accepted) messages to_client; in-process the message
/// passes whole and the trace says "slice skipped".
action slice(std::size_t max_bytes);
/// Cuts the connection once `bytes` bytes of encoded messages passed in one direction (counted
/// per connection over the messages the rule selects): the message that crosses the limit
/// arrives cut short — undecodable — or not at all when none of it fits, then the transport
/// drops.
action close_after_bytes(std::size_t bytes);

/// A handshake rule: the router answers RawSocket handshakes with `error_code` (1 serializer
/// unsupported, 2 maximum message length unacceptable, 3 use of reserved bits, 4 maximum
/// connection count reached) while the rule is installed; with match().nth(k) only the k-th
/// handshake. Only fixtures on RawSocket have handshakes (elsewhere the rule never fires).
action refuse_rawsocket_handshake(int error_code);
}  // namespace fault

/// One thing a faulty connection does with a message, in order.
struct step {
  enum class kind {
    deliver,      // pass `msg` on in the original direction
    deliver_bad,  // make the receiver see undecodable bytes (`bytes`)
    send_back,    // send `msg` the opposite way, to the original sender
    close,        // drop the transport abruptly
    close_with_code,  // close with a WebSocket close frame (`code`, `bytes` as the reason)
  };
  kind what;
  wamp::message msg;
  std::string bytes;
  std::uint16_t code = 0;
  // A delivery of the decided message itself (not one a rule made): told by this flag, not
  // by comparing messages (a NaN in the payload is unequal to itself).
  bool original = false;
};

/// What a link rule does to one message it selected (see fault::latency and the others).
struct link_effect {
  action::kind what;
  std::chrono::microseconds delay{0};  // latency: drawn for this message
  std::size_t bytes = 0;               // as action::bytes
  std::string rule;                    // the rule's name
  const void* rule_key = nullptr;      // identifies the rule (close_after_bytes counts per rule)
};

class fault_plan;

/// Owns one installed rule: removing it when destroyed, counting its hits, releasing what
/// it holds.
class [[nodiscard("the rule is removed when its handle is destroyed")]] rule_handle {
 public:
  rule_handle() = default;
  rule_handle(rule_handle&&) noexcept = default;
  rule_handle& operator=(rule_handle&&) noexcept;
  ~rule_handle();

  /// How many messages the rule acted on. A message counts once its trace line is written:
  /// a test that saw hits() or held() grow finds the line in the trace.
  std::size_t hits() const;
  /// Marks the rule as allowed never to fire.
  rule_handle& optional() &;
  rule_handle optional() && { optional(); return std::move(*this); }
  /// Delivers the held messages in the order they were held; later ones pass normally
  /// only after the rule is removed (hold keeps holding).
  void release();
  /// Delivers the held messages in reverse order.
  void release_reversed();
  /// Messages currently held.
  std::size_t held() const;
  /// Removes the rule now (held messages are released first).
  void remove();

 private:
  friend class fault_plan;
  struct state;
  rule_handle(std::shared_ptr<fault_plan> plan, std::shared_ptr<state> rule)
      : plan_(std::move(plan)), rule_(std::move(rule)) {}

  std::shared_ptr<fault_plan> plan_;
  std::shared_ptr<state> rule_;
};

class fault_plan : public std::enable_shared_from_this<fault_plan> {
 public:
  /// Delivers a held message later, on its connection's executor; the faulty connection
  /// supplies it when a hold rule takes a message.
  using release_fn = std::function<void()>;

  static std::shared_ptr<fault_plan> create() { return std::shared_ptr<fault_plan>(new fault_plan); }

  /// Installs a rule after the existing ones. `name` appears in the trace.
  rule_handle install(match selector, action what, std::string name = {});

  /// Decides the fate of `m`: the steps to take instead of plain delivery, and the name of the
  /// rule that acted (empty when none did: then the steps are a plain delivery). `hold` is
  /// called when a hold rule keeps the message; it returns how to release it.
  struct decision {
    std::vector<step> steps;
    std::string rule;    // empty when no rule acted
    std::string action;  // the acting rule's action name
    std::vector<link_effect> link;  // the link rules that selected the message, in order
    // Set when a rule acted: hits() and held() wait until it is reset (or destroyed), which
    // the caller does once the message's trace line is written.
    std::shared_ptr<void> unsettled;
  };
  ///
  /// `rules` narrows the rules that see `m` (the others neither count nor act on it): a
  /// socket's router end decides the slice rules of the messages it writes, its client end
  /// all the others (faulty_connection::use_peer_slicing), so each rule sees a message once.
  enum class rule_set { all, slice_only, all_but_slice };
  decision decide(const observed_message& m, const std::function<release_fn()>& hold,
                  rule_set rules = rule_set::all);

  /// For the router's RawSocket listener: the error code (1..4) the first installed
  /// refuse_rawsocket_handshake rule that picks this handshake answers with, or 0 to accept.
  int rawsocket_handshake_refusal();

  /// Descriptions of removed or installed non-optional rules that never fired.
  std::vector<std::string> unfired() const;

 private:
  friend class rule_handle;
  fault_plan() = default;
  void remove(const std::shared_ptr<rule_handle::state>& rule);

  // hits() and held() wait (under mutex_) while a decision is unsettled (see decision).
  void wait_until_settled(std::unique_lock<std::mutex>& lock) const;

  mutable std::mutex mutex_;
  mutable std::condition_variable settled_;
  std::size_t unsettled_ = 0;  // decisions whose trace line is not written yet
  std::vector<std::shared_ptr<rule_handle::state>> rules_;
  std::vector<std::string> unfired_removed_;
};

}  // namespace autobahn_sync::testing

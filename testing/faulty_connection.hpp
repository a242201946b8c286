// `faulty_connection`: a connection decorator that puts a fault plan and a trace between a
// router and one client connection. It wraps either end: on the router's end (in-process
// connections) messages it receives travel `to_router` and messages it sends `to_client`; on
// the client's end (socket connections, where the router accepts the socket itself) the other
// way round. Every message is recorded in the trace and handed to the plan, whose decision it
// carries out. Slicing needs the writer's end: on sockets the router's end slices what the
// router writes and tells this end (use_peer_slicing, socket_link.hpp).
//
// Link rules (latency, bandwidth) delay messages: they wait in one queue per direction, in
// order, until their time comes on the virtual clock given to use_clock() (when a test
// advances it past them) or on real time (an Asio timer on the connection's executor). A
// delayed message is never lost silently: close() delivers the delayed messages it sends
// before closing, the end of the transport delivers the delayed messages it received first,
// and whatever can no longer be delivered is traced as lost.
//
// Thread safety: as any connection — use it on its executor (the wrapped connection's).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "testing/fault_plan.hpp"
#include "testing/message_trace.hpp"
#include "wamp/manual_clock.hpp"
#include "wamp/transport/connection.hpp"

namespace autobahn_sync::testing {

class faulty_connection final : public wamp::connection,
                                public std::enable_shared_from_this<faulty_connection> {
 public:
  /// Sends raw bytes to the client, for corrupt/truncate rules on messages to the client.
  /// Without it those rules drop the transport instead (the client sees undecodable input
  /// end its connection either way).
  using raw_sender = std::function<void(std::string bytes)>;

  /// Which end of the connection `inner` is.
  enum class end { router, client };

  /// Wraps `inner` (the router's end of the client's connection) for the session named
  /// `session`. `trace` may be null.
  static std::shared_ptr<faulty_connection> wrap(wamp::connection_ptr inner, std::string session,
                                                 std::shared_ptr<fault_plan> plan,
                                                 std::shared_ptr<message_trace> trace,
                                                 raw_sender send_raw = nullptr, end wrapped = end::router);
  ~faulty_connection() override;

  /// Runs the delays of link rules on `clock` (virtual time) instead of real time. Call
  /// before start(), from the thread that made the connection.
  void use_clock(std::shared_ptr<wamp::manual_clock> clock);

  /// For a message this end receives: the slice rules the other end decided and applied as it
  /// wrote it (socket_link.hpp), or nullopt when that end did not decide them.
  using peer_slicing = std::function<std::optional<std::vector<link_effect>>(const wamp::message&)>;
  /// Lets the other end slice what this end receives (a socket's router end, whose writes
  /// this end cannot split): for each message `source` answers, the slice rules are left to
  /// that end (each rule sees a message once) and the trace line tells that end's slicing
  /// instead of "slice skipped". Call before start().
  void use_peer_slicing(peer_slicing source) { peer_slicing_ = std::move(source); }

  executor_type get_executor() const override { return inner_->get_executor(); }
  void start(wamp::connection_handler handler) override;
  boost::system::error_code send(const wamp::message& msg) override;
  /// Delivers the delayed messages this end sends (at once), then closes the transport.
  void close() override;
  /// Drops the transport; delayed messages are traced as lost.
  void close_abruptly() override;
  const wamp::connection_info& info() const noexcept override { return inner_->info(); }

  const std::string& session_name() const noexcept { return session_; }
  session_phase phase() const noexcept { return phase_; }
  /// Messages waiting for a latency or bandwidth delay (both directions).
  std::size_t delayed() const noexcept { return queue_[0].size() + queue_[1].size(); }

  /// Delayed messages allowed per direction; past it the transport is dropped (send() says
  /// send_queue_full) and the trace says why.
  static constexpr std::size_t max_delayed_messages = 100'000;

 private:
  using time_point = std::chrono::steady_clock::time_point;

  // One thing to do with a message once its delay passed (or at once).
  struct pending {
    step what;
    direction dir;
    std::string rule;  // to trace when done; nothing is traced when `note` is null
    std::optional<std::string> note;
    std::size_t piece_bytes = 0;           // slice: write in pieces of this size
    std::optional<std::size_t> cut_after;  // close_after_bytes: bytes that still fit
    time_point due;
  };

  faulty_connection(wamp::connection_ptr inner, std::string session, std::shared_ptr<fault_plan> plan,
                    std::shared_ptr<message_trace> trace, raw_sender send_raw, end wrapped);
  /// The direction of what `inner` sends (the other one is what it receives).
  direction outgoing() const noexcept {
    return end_ == end::router ? direction::to_client : direction::to_router;
  }
  direction incoming() const noexcept {
    return end_ == end::router ? direction::to_router : direction::to_client;
  }
  static std::size_t index(direction d) noexcept { return d == direction::to_router ? 0 : 1; }

  time_point now() const { return clock_ ? clock_->now() : std::chrono::steady_clock::now(); }
  std::string encode(const wamp::message& msg) const;

  boost::system::error_code pass(direction dir, wamp::message msg);
  boost::system::error_code run(pending& p);
  boost::system::error_code deliver(direction dir, const wamp::message& msg);
  void deliver_bad(direction dir, const wamp::message& msg, const std::string& bytes);
  void deliver_cut(direction dir, const wamp::message& msg, std::size_t bytes);
  void record(direction dir, const wamp::message& msg, const std::string& rule, const std::string& note,
              std::chrono::milliseconds earlier = std::chrono::milliseconds(0));

  void run_due();
  void arm_timer();
  void trace_lost(direction dir, const char* why);

  wamp::connection_ptr inner_;
  std::string session_;
  std::shared_ptr<fault_plan> plan_;
  std::shared_ptr<message_trace> trace_;
  raw_sender send_raw_;
  peer_slicing peer_slicing_;
  end end_;
  bool in_send_ = false;  // inside send(): answers to the sender are posted, not re-entered
  // Delivers (and traces) `msg` now, or after what is delayed the same way if anything is.
  boost::system::error_code deliver_in_order(direction dir, const wamp::message& msg, const std::string& rule,
                                             const std::string& note);
  bool ended_ = false;    // its transport ended, or its owner closed it: a release finds nothing to deliver to
  wamp::connection_handler handler_;
  session_phase phase_ = session_phase::joining;

  // Link state, per direction (index()).
  std::array<std::deque<pending>, 2> queue_;
  std::array<time_point, 2> last_due_{};   // nothing is due before what went earlier
  std::array<time_point, 2> link_free_{};  // bandwidth: when the link is free again
  std::map<std::pair<const void*, std::size_t>, std::size_t> bytes_passed_;  // (rule, direction)
  std::shared_ptr<wamp::manual_clock> clock_;
  std::uint64_t clock_timer_ = 0;  // the manual clock's timer for the earliest delayed message
  std::optional<boost::asio::steady_timer> timer_;
};

}  // namespace autobahn_sync::testing

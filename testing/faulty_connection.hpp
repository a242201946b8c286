// `faulty_connection`: a connection decorator that puts a fault plan and a trace between a
// router and one client connection. It wraps either end: on the router's end (in-process
// connections) messages it receives travel `to_router` and messages it sends `to_client`; on
// the client's end (socket connections, where the router accepts the socket itself) the other
// way round. Every message is recorded in the trace and handed to the plan, whose decision it
// carries out.
//
// Thread safety: as any connection — use it on its executor (the wrapped connection's).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "testing/fault_plan.hpp"
#include "testing/message_trace.hpp"
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

  executor_type get_executor() const override { return inner_->get_executor(); }
  void start(wamp::connection_handler handler) override;
  boost::system::error_code send(const wamp::message& msg) override;
  void close() override { inner_->close(); }
  void close_abruptly() override { inner_->close_abruptly(); }
  const wamp::connection_info& info() const noexcept override { return inner_->info(); }

  const std::string& session_name() const noexcept { return session_; }
  session_phase phase() const noexcept { return phase_; }

 private:
  faulty_connection(wamp::connection_ptr inner, std::string session, std::shared_ptr<fault_plan> plan,
                    std::shared_ptr<message_trace> trace, raw_sender send_raw, end wrapped);
  /// The direction of what `inner` sends (the other one is what it receives).
  direction outgoing() const noexcept {
    return end_ == end::router ? direction::to_client : direction::to_router;
  }
  direction incoming() const noexcept {
    return end_ == end::router ? direction::to_router : direction::to_client;
  }

  boost::system::error_code pass(direction dir, wamp::message msg);
  boost::system::error_code deliver(direction dir, const wamp::message& msg);
  void deliver_bad(direction dir, const wamp::message& msg, const std::string& bytes);
  void record(direction dir, const wamp::message& msg, const std::string& rule, const char* note);

  wamp::connection_ptr inner_;
  std::string session_;
  std::shared_ptr<fault_plan> plan_;
  std::shared_ptr<message_trace> trace_;
  raw_sender send_raw_;
  end end_;
  bool in_send_ = false;  // inside send(): answers to the sender are posted, not re-entered
  wamp::connection_handler handler_;
  session_phase phase_ = session_phase::joining;
};

}  // namespace autobahn_sync::testing

// In-process transport: a connected pair of connections with no socket, for tests and for
// clients of an embedded router. Each end runs on its own executor; a message sent on one end
// is handed to the other end's executor, in order. When both ends' executors are gated
// (gated_executor.hpp) and both gates accept delivery, the message is delivered on the
// sender's thread instead, at once when the gate is free or, when this thread already holds
// it further up the stack, as it releases it; in both cases inside the gate, so the receiving
// end still runs as if on its executor, and still in order.
//
// With a serializer (the usual case) every message is encoded on send and decoded on receipt,
// so tests exercise the same bytes as the wire, limits included; with none, message objects
// are passed as they are (cheaper, for benchmarks of the layers above).
//
// Thread safety: as every connection (connection.hpp): use each end on its own executor.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "wamp/transport/connection.hpp"
#include "wamp/transport/gated_executor.hpp"

namespace autobahn_sync::wamp {

class inprocess_connection;
using inprocess_pair = std::pair<std::shared_ptr<inprocess_connection>, std::shared_ptr<inprocess_connection>>;

/// Makes a connected pair: `first` runs on `first_executor`, `second` on `second_executor`.
/// `s` is the serializer both ends use, or nullptr to pass messages without serialization.
inprocess_pair make_inprocess_pair(connection::executor_type first_executor,
                                   connection::executor_type second_executor,
                                   const serializer* s = &json_serializer(),
                                   transport_options options = {});

class inprocess_connection final : public connection,
                                   public std::enable_shared_from_this<inprocess_connection> {
 public:
  executor_type get_executor() const override { return executor_; }
  void start(connection_handler handler) override;
  boost::system::error_code send(const message& msg) override;
  void close() override;
  void close_abruptly() override;
  const connection_info& info() const noexcept override { return info_; }

  /// Makes this end receive `bytes` as if the peer had sent them (for fault injection:
  /// corrupted or truncated messages). Call on this end's executor. Ignored without a
  /// serializer.
  void receive_bytes(std::string bytes);

  /// Sends raw bytes to the peer, as if they were an encoded message.
  void send_bytes(std::string bytes);

 private:
  struct shared_state;
  friend inprocess_pair make_inprocess_pair(executor_type, executor_type, const serializer*,
                                            transport_options);

  inprocess_connection(executor_type executor, const serializer* s, transport_options options,
                       std::shared_ptr<shared_state> shared);

  void receive(message&& msg);
  void peer_closed(const boost::system::error_code& ec);
  void finish(const boost::system::error_code& ec);
  // Hands `f(peer)` to the peer's end: inline or deferred in its gate when it accepts
  // delivery and nothing of this end waits for it, else posted to its executor.
  template <class F>
  void post_to_peer(F&& f);
  // Posts `deliver` to the peer's executor (under peer_inbox_->mutex, accepting), counted.
  template <class F>
  void post_counted(F&& deliver);

  executor_type executor_;
  const serializer* serializer_;
  transport_options options_;
  std::shared_ptr<shared_state> shared_;
  std::weak_ptr<inprocess_connection> peer_;
  connection_handler handler_;
  connection_info info_;
  bool started_ = false;
  bool closing_ = false;   // no more sends
  bool finished_ = false;  // on_close delivered
  std::string scratch_;    // encode buffer, reused
  std::shared_ptr<gate> own_gate_;  // executor_'s gate, when it is a gated_executor
  // Where the peer posts to this end. The peer holds the inbox, never this end itself, so this
  // end (and the executor it holds) is destroyed on its owner's side; once this end is
  // closed the inbox drops its copy of the executor, so the owner may destroy that
  // executor's io_context at once.
  struct inbox {
    std::mutex mutex;
    bool accepting = true;
    executor_type executor;
    std::shared_ptr<wamp::gate> receiver_gate;  // the executor's gate, when it is a gated_executor
    // Messages to this end posted and not yet delivered: while any is, the next one is
    // posted too, behind them.
    std::atomic<std::size_t> undelivered{0};
    // Counts a posted one delivered (or dropped) as it goes out of scope.
    struct delivered {
      inbox& counted;
      ~delivered() { counted.undelivered.fetch_sub(1, std::memory_order_acq_rel); }
    };
  };
  std::shared_ptr<inbox> inbox_;
  std::shared_ptr<inbox> peer_inbox_;
  void stop_accepting();
 public:
  ~inprocess_connection() override;
 private:
};

}  // namespace autobahn_sync::wamp

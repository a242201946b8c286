// `socket_link`: lets the router's end of a fixture's socket connection slice what the router
// writes to the client (fault::slice on messages to_client), while the client's end
// (faulty_connection) keeps deciding every other rule. A faulty connection on the client's end
// cannot split the router's writes: they are on the wire before it sees them.
//
// The pieces, per socket connection of a named client:
// - the fixture opens a `socket_link` in its `socket_links` as the client connects, and wraps
//   the client's connection with mark_hello(), which puts the link's id in the HELLO's details;
// - the router wraps each accepted connection (router_options::wrap_accepted) with
//   router_end_slicer::wrap(); its HELLO names the link (the mark is taken out before the
//   router reads it), so it knows the session's name. From then on it decides the slice rules
//   of every message the router writes, writes the selected ones in pieces, and queues what it
//   decided on the link, in the order it wrote;
// - the client's faulty connection takes the decisions off the link as the messages arrive
//   (faulty_connection::use_peer_slicing), leaves slice rules out of its own decision and
//   traces the slicing. Each rule sees each message once.
// A connection whose HELLO carries no mark (a client the test connects itself) is not sliced.
//
// Thread safety: socket_link and socket_links are thread-safe (the router's and the client's
// threads share them); a router_end_slicer is a connection (use it on its executor).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "testing/fault_plan.hpp"
#include "wamp/transport/connection.hpp"

namespace autobahn_sync::testing {

/// The link between the two ends of one socket connection.
class socket_link {
 public:
  socket_link(std::uint64_t id, std::string session) : id_(id), session_(std::move(session)) {}

  std::uint64_t id() const noexcept { return id_; }
  /// The name the test gave the client's connection.
  const std::string& session() const noexcept { return session_; }

  /// Router's end, before it writes a message: the slice rules that selected it (maybe none),
  /// and the pieces it is written in (0: whole). Announced before, as the client's end may
  /// read the message before the write returns.
  void wrote(wamp::message_type type, std::vector<link_effect> slices, std::size_t pieces);
  /// Router's end: the message last announced by wrote() could not be sent after all.
  void not_written();
  /// Client's end, as a message arrives: the slice rules the router's end decided for it, or
  /// nullopt when it decided none for that message (it is not one the router's end announced).
  std::optional<std::vector<link_effect>> arrived(const wamp::message& msg);

  /// Pieces the router's end wrote for the messages it sliced.
  std::size_t pieces_written() const;

 private:
  struct written {
    wamp::message_type type;
    std::vector<link_effect> slices;
    std::size_t pieces;
  };
  const std::uint64_t id_;
  const std::string session_;
  mutable std::mutex mutex_;
  std::deque<written> in_flight_;  // written by the router, not yet arrived at the client
  std::size_t pieces_ = 0;
};

/// The links of a fixture's socket connections, by id.
class socket_links {
 public:
  /// A new link for a connection of the client named `session`.
  std::shared_ptr<socket_link> open(std::string session);
  /// The link of `id`, or null.
  std::shared_ptr<socket_link> find(std::uint64_t id) const;
  /// Pieces the router's ends wrote to the client named `session`, all its connections.
  std::size_t pieces_written_to(const std::string& session) const;

 private:
  mutable std::mutex mutex_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, std::shared_ptr<socket_link>> links_;
};

/// The HELLO details key that carries a link's id from the client's end to the router's.
inline constexpr const char* link_mark = "x_testing_socket_link";

/// `inner` (a client's socket connection) with every HELLO it sends marked with `link`'s id.
wamp::connection_ptr mark_hello(wamp::connection_ptr inner, std::shared_ptr<socket_link> link);

/// The router's end of a socket connection (see the top of this header).
class router_end_slicer final : public wamp::connection, public std::enable_shared_from_this<router_end_slicer> {
 public:
  static std::shared_ptr<router_end_slicer> wrap(wamp::connection_ptr inner, std::shared_ptr<fault_plan> plan,
                                                 std::shared_ptr<socket_links> links);

  executor_type get_executor() const override { return inner_->get_executor(); }
  void start(wamp::connection_handler handler) override;
  boost::system::error_code send(const wamp::message& msg) override;
  void close() override { inner_->close(); }
  void close_abruptly() override { inner_->close_abruptly(); }
  const wamp::connection_info& info() const noexcept override { return inner_->info(); }
  boost::system::error_code send_in_pieces(const wamp::message& msg, std::size_t piece_bytes) override {
    return inner_->send_in_pieces(msg, piece_bytes);
  }
  void send_cut_short(const wamp::message& msg, std::size_t bytes) override { inner_->send_cut_short(msg, bytes); }
  void close_with_code(std::uint16_t code, const std::string& reason) override {
    inner_->close_with_code(code, reason);
  }

 private:
  router_end_slicer(wamp::connection_ptr inner, std::shared_ptr<fault_plan> plan, std::shared_ptr<socket_links> links)
      : inner_(std::move(inner)), plan_(std::move(plan)), links_(std::move(links)) {}
  void received(wamp::message&& msg);

  wamp::connection_ptr inner_;
  std::shared_ptr<fault_plan> plan_;
  std::shared_ptr<socket_links> links_;
  std::shared_ptr<socket_link> link_;  // known once the marked HELLO arrived
  session_phase phase_ = session_phase::joining;
  wamp::connection_handler handler_;
};

}  // namespace autobahn_sync::testing

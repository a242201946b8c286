// `scripted_connection`: the router's end of a client connection, played by a test. The test
// pushes what the client sends (client_sends) and reads what reached the client (to_client);
// wrapped in a faulty_connection it shows what fault rules do without a router.
//
// Thread safety: use it on the io_context it was given, as any connection.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "wamp/transport/connection.hpp"

namespace autobahn_sync::testing::test {

class scripted_connection final : public wamp::connection {
 public:
  explicit scripted_connection(boost::asio::io_context& io) : io_(io) {}

  executor_type get_executor() const override { return io_.get_executor(); }
  void start(wamp::connection_handler handler) override { handler_ = std::move(handler); }
  boost::system::error_code send(const wamp::message& msg) override {
    if (closed) return wamp::errc::not_connected;
    to_client.push_back(msg);
    return {};
  }
  void close() override { closed = true; }
  void close_abruptly() override { closed = abruptly = true; }
  void close_with_code(std::uint16_t code, const std::string&) override {
    close_code = code;
    close();
  }
  const wamp::connection_info& info() const noexcept override { return info_; }

  /// What the client sends.
  void client_sends(wamp::message msg) { handler_.on_message(std::move(msg)); }
  /// The transport ends under the connection (the peer went away).
  void transport_ends() { handler_.on_close({}); }

  std::vector<wamp::message> to_client;
  bool closed = false;
  bool abruptly = false;
  std::uint16_t close_code = 0;

 private:
  boost::asio::io_context& io_;
  wamp::connection_handler handler_;
  wamp::connection_info info_{"inprocess", "json", "inprocess"};
};

}  // namespace autobahn_sync::testing::test

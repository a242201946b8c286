// Support for transport tests on 127.0.0.1: one io_context run by the test thread until a
// condition holds (a generous deadline guards against hangs; nothing sleeps), a raw TCP
// client for writing hand-made octets, and a recorder of connection events.
#pragma once

#include <atomic>
#include <chrono>
#include <thread>
#include <functional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "wamp/transport/connection.hpp"

namespace autobahn_sync::wamp::test {

/// Runs `io` until `done()` holds; false if it did not within 10 s.
inline bool run_until(boost::asio::io_context& io, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    io.restart();
    io.run_one_for(std::chrono::milliseconds(50));
  }
  return true;
}

struct connection_events {
  std::vector<message> messages;
  std::vector<boost::system::error_code> bad;
  std::vector<boost::system::error_code> closes;

  connection_handler handler() {
    return {[this](message&& m) { messages.push_back(std::move(m)); },
            [this](const boost::system::error_code& ec, const std::string&) { bad.push_back(ec); },
            [this](const boost::system::error_code& ec) { closes.push_back(ec); }};
  }
};

/// A blocking TCP client for hand-made octets.
class raw_client {
 public:
  raw_client(boost::asio::io_context& io, unsigned short port) : socket_(io) {
    socket_.connect({boost::asio::ip::address_v4::loopback(), port});
  }
  void write(const std::string& bytes) { boost::asio::write(socket_, boost::asio::buffer(bytes)); }
  std::string read(std::size_t n) {
    std::string out(n, '\0');
    boost::system::error_code ec;
    const auto got = boost::asio::read(socket_, boost::asio::buffer(out), ec);
    out.resize(got);
    return out;
  }
  void close() { socket_.close(); }
  boost::asio::ip::tcp::socket& socket() { return socket_; }

 private:
  boost::asio::ip::tcp::socket socket_;
};

/// A thread playing a raw peer; done() tells the test thread, without a data race, that it
/// finished (what it wrote may then be read after join()).
class client_thread {
 public:
  explicit client_thread(std::function<void()> body)
      : thread_([this, body = std::move(body)] {
          body();
          done_ = true;
        }) {}
  ~client_thread() {
    if (thread_.joinable()) thread_.join();
  }
  bool done() const { return done_; }
  void join() { thread_.join(); }

 private:
  std::atomic<bool> done_{false};
  std::thread thread_;
};

inline std::string octets(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

}  // namespace autobahn_sync::wamp::test

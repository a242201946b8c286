// Support for transport tests on 127.0.0.1: one io_context run by the test thread until a
// condition holds (a generous deadline guards against hangs; nothing sleeps), a raw TCP
// client for writing hand-made octets, and a recorder of connection events.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

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

/// The kernel's timer on the IPv4 TCP socket from `local_port` to `remote_port` (both on
/// 127.0.0.1), as /proc/net/tcp shows it: `kind` 2 is the keepalive timer, 0 none; `ticks`
/// (hundredths of a second) until it fires. kind -1: no such socket.
struct tcp_timer {
  int kind = -1;
  long ticks = 0;
};
inline tcp_timer tcp_timer_of(unsigned short local_port, unsigned short remote_port) {
  std::ifstream table("/proc/net/tcp");
  std::string line;
  std::getline(table, line);  // the header
  char local[16], remote[16];
  std::snprintf(local, sizeof local, "0100007F:%04X", local_port);
  std::snprintf(remote, sizeof remote, "0100007F:%04X", remote_port);
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, l, r, state, queues, timer;
    fields >> slot >> l >> r >> state >> queues >> timer;
    if (l != local || r != remote) continue;
    const auto colon = timer.find(':');
    return {std::stoi(timer.substr(0, colon), nullptr, 16), std::stol(timer.substr(colon + 1), nullptr, 16)};
  }
  return {};
}

/// While it lives, the process can open no new file descriptor (EMFILE): the soft limit is
/// lowered to the lowest free descriptor number, and restored after.
class no_free_descriptors {
 public:
  no_free_descriptors() {
    ::getrlimit(RLIMIT_NOFILE, &before_);
    const int lowest_free = ::dup(2);
    ::close(lowest_free);
    rlimit lowered = before_;
    lowered.rlim_cur = static_cast<rlim_t>(lowest_free);
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &lowered) == 0);
  }
  ~no_free_descriptors() { ::setrlimit(RLIMIT_NOFILE, &before_); }
  no_free_descriptors(const no_free_descriptors&) = delete;
  no_free_descriptors& operator=(const no_free_descriptors&) = delete;

 private:
  rlimit before_{};
};

/// The port of a connection_info peer such as "tcp4:127.0.0.1:51234".
inline unsigned short port_of_peer(const std::string& peer) {
  return static_cast<unsigned short>(std::stoi(peer.substr(peer.rfind(':') + 1)));
}

inline std::string octets(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

}  // namespace autobahn_sync::wamp::test

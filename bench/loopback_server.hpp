// The plain-TCP pieces of the baselines (tcp_baseline_bench, relay_throughput_bench): a server
// for one loopback connection, served on a thread of its own, TCP_NODELAY, and the 4-byte
// big-endian length their frames start with (as RawSocket's).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace autobahn_sync::bench {

inline void no_delay(boost::asio::ip::tcp::socket& s) { s.set_option(boost::asio::ip::tcp::no_delay(true)); }

inline void append_length(std::string& out, std::uint32_t length) {
  const char bytes[4] = {static_cast<char>(length >> 24), static_cast<char>(length >> 16),
                         static_cast<char>(length >> 8), static_cast<char>(length)};
  out.append(bytes, 4);
}

inline std::uint32_t read_length(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (std::uint32_t{u[0]} << 24) | (std::uint32_t{u[1]} << 16) | (std::uint32_t{u[2]} << 8) | u[3];
}

/// Listens on 127.0.0.1 (port()), accepts one connection on its own thread and runs `serve`
/// on it there (TCP_NODELAY set). The destructor waits for `serve` to return: end the
/// connection first.
class loopback_server {
 public:
  explicit loopback_server(std::function<void(boost::asio::ip::tcp::socket&)> serve)
      : acceptor_(io_, {boost::asio::ip::address_v4::loopback(), 0}) {
    thread_ = std::thread([this, serve = std::move(serve)] {
      boost::asio::ip::tcp::socket s(io_);
      acceptor_.accept(s);
      no_delay(s);
      serve(s);
    });
  }
  ~loopback_server() { thread_.join(); }
  loopback_server(const loopback_server&) = delete;
  loopback_server& operator=(const loopback_server&) = delete;

  unsigned short port() const { return acceptor_.local_endpoint().port(); }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
};

}  // namespace autobahn_sync::bench

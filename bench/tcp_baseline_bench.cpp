// The physical limit a WAMP call through a router is compared with: the same payload sizes
// over plain loopback TCP, with no WAMP, no serialization and no router logic.
//
//   one_hop: caller -> echo -> caller
//   two_hop: caller -> relay -> echo -> relay -> caller   (a router is a relay with a dealer)
//
// Frames are a 4-byte length then the payload, like RawSocket. Each hop is a blocking thread
// per direction, the cheapest loopback relay there is; TCP_NODELAY everywhere.
//
//   two_hop_busy_poll: the same, but the relay is one thread that polls both of its sockets
//   (non-blocking reads) for bench::busy_poll_spin after the last bytes it moved before it
//   sleeps in poll(2): the physical limit of a router with router_options::busy_poll, which
//   a busy-polling router can beat the plain two_hop relay by, but not this one.
//
//   thread_wake_round_trip: a sleeping thread woken through a condition variable, which wakes
//   the first one back: the cost of the two hand-offs between blocked threads that a blocking
//   call can hardly avoid (the caller asleep until its answer, a handler thread asleep until
//   its invocation), with no I/O at all.
//
//   spin_round_trip: the same between two threads that spin instead of sleeping, each on a
//   cache line of its own: the two hand-offs of an in-process call (whose threads spin while
//   calls come quickly), and the price of a cache line moving to the other core and back,
//   which every piece of state the two threads share pays again. It depends on where the
//   host puts the two virtual CPUs: 0.14-0.16 us and 0.55-0.61 us were both seen on one VM
//   within an hour, and an in-process call took 4.4 and 12.5 us with them.
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "bench/busy_poll_spin.hpp"
#include "bench/latency_recorder.hpp"
#include "bench/loopback_server.hpp"

namespace asio = boost::asio;
using asio::ip::tcp;
using autobahn_sync::bench::append_length;
using autobahn_sync::bench::loopback_server;
using autobahn_sync::bench::no_delay;
using autobahn_sync::bench::read_length;

namespace {

// Reads one frame into `buffer`; false when the peer closed.
bool read_frame(tcp::socket& s, std::vector<char>& buffer) {
  std::array<char, 4> header;
  boost::system::error_code ec;
  asio::read(s, asio::buffer(header), ec);
  if (ec) return false;
  const std::uint32_t length = read_length(header.data());
  buffer.resize(length + 4);
  std::copy(header.begin(), header.end(), buffer.begin());
  asio::read(s, asio::buffer(buffer.data() + 4, length), ec);
  return !ec;
}

// Copies frames from `from` to `to` until either side closes.
void pump(tcp::socket& from, tcp::socket& to) {
  std::vector<char> buffer;
  boost::system::error_code ec;
  while (read_frame(from, buffer)) {
    asio::write(to, asio::buffer(buffer), ec);
    if (ec) break;
  }
  to.shutdown(tcp::socket::shutdown_send, ec);
}

// The relay's side of one connection: connects to `target`, then pumps both ways.
void relay_to(tcp::socket& downstream, unsigned short target) {
  asio::io_context io;
  tcp::socket upstream(io);
  upstream.connect(tcp::endpoint(asio::ip::address_v4::loopback(), target));
  no_delay(upstream);
  std::thread back([&] { pump(upstream, downstream); });
  pump(downstream, upstream);
  back.join();
}

// Sends all of `n` bytes on a blocking socket; false when the connection failed.
bool send_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    const ssize_t sent = ::send(fd, data, n, MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) return false;
    data += sent;
    n -= static_cast<std::size_t>(sent);
  }
  return true;
}

// The busy-polling relay's side of one connection: one thread moves whatever bytes arrived on
// either socket to the other, polls both for `spin` after the last bytes it moved, then
// sleeps in poll(2) until one is readable. Ends when either side closes.
void relay_busy_polling(tcp::socket& downstream, unsigned short target, std::chrono::microseconds spin) {
  asio::io_context io;
  tcp::socket upstream(io);
  upstream.connect(tcp::endpoint(asio::ip::address_v4::loopback(), target));
  no_delay(upstream);
  const int fds[2] = {downstream.native_handle(), upstream.native_handle()};
  std::vector<char> buffer(256 * 1024);
  using clock = std::chrono::steady_clock;
  auto last_moved = clock::now();
  for (;;) {
    bool moved = false;
    for (int from = 0; from < 2; ++from) {
      const ssize_t n = ::recv(fds[from], buffer.data(), buffer.size(), MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        ::shutdown(fds[1 - from], SHUT_WR);
        return;
      }
      if (n > 0) {
        if (!send_all(fds[1 - from], buffer.data(), static_cast<std::size_t>(n))) return;
        moved = true;
      }
    }
    if (moved) {
      last_moved = clock::now();
    } else if (clock::now() - last_moved >= spin) {
      pollfd readable[2] = {{fds[0], POLLIN, 0}, {fds[1], POLLIN, 0}};
      (void)::poll(readable, 2, -1);
      last_moved = clock::now();  // woken by bytes: poll for what follows them
    }
  }
}

void round_trips(benchmark::State& state, unsigned short port) {
  asio::io_context io;
  tcp::socket s(io);
  s.connect(tcp::endpoint(asio::ip::address_v4::loopback(), port));
  no_delay(s);
  const auto size = static_cast<std::uint32_t>(state.range(0));
  std::string frame;
  append_length(frame, size);
  frame.append(size, 'x');
  std::vector<char> reply;
  autobahn_sync::bench::latency_recorder latency;
  for (auto _ : state) {
    latency.measure([&] {
      asio::write(s, asio::buffer(frame));
      if (!read_frame(s, reply)) state.SkipWithError("connection closed");
    });
  }
  latency.report(state);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * size * 2);
  s.shutdown(tcp::socket::shutdown_both);
  s.close();
}

void BM_tcp_one_hop(benchmark::State& state) {
  loopback_server echo([](tcp::socket& s) { pump(s, s); });
  round_trips(state, echo.port());
}

void BM_tcp_two_hop(benchmark::State& state) {
  loopback_server echo([](tcp::socket& s) { pump(s, s); });
  loopback_server relay([target = echo.port()](tcp::socket& s) { relay_to(s, target); });
  round_trips(state, relay.port());
}

void BM_tcp_two_hop_busy_poll(benchmark::State& state) {
  loopback_server echo([](tcp::socket& s) { pump(s, s); });
  loopback_server relay([target = echo.port()](tcp::socket& s) {
    relay_busy_polling(s, target, autobahn_sync::bench::busy_poll_spin);
  });
  round_trips(state, relay.port());
}

void BM_thread_wake_round_trip(benchmark::State& state) {
  std::mutex mutex;
  std::condition_variable cv;
  int turn = 0;  // 1: the echo thread's, 0: the caller's; -1: stop
  std::thread echo([&] {
    std::unique_lock lock(mutex);
    for (;;) {
      cv.wait(lock, [&] { return turn != 0; });
      if (turn < 0) return;
      turn = 0;
      cv.notify_all();
    }
  });
  autobahn_sync::bench::latency_recorder latency;
  for (auto _ : state) {
    latency.measure([&] {
      std::unique_lock lock(mutex);
      turn = 1;
      cv.notify_all();
      cv.wait(lock, [&] { return turn == 0; });
    });
  }
  latency.report(state);
  {
    std::lock_guard lock(mutex);
    turn = -1;
  }
  cv.notify_all();
  echo.join();
}

void BM_spin_round_trip(benchmark::State& state) {
  struct alignas(64) flag {
    std::atomic<std::uint64_t> value{0};
  };
  flag ping, pong;  // the caller's turn number, and the echo's answer to it
  constexpr std::uint64_t stop = ~std::uint64_t{0};
  std::thread echo([&] {
    for (std::uint64_t seen = 0;;) {
      const auto now = ping.value.load(std::memory_order_acquire);
      if (now == seen) continue;
      if (now == stop) return;
      seen = now;
      pong.value.store(now, std::memory_order_release);
    }
  });
  autobahn_sync::bench::latency_recorder latency;
  std::uint64_t turn = 0;
  for (auto _ : state) {
    latency.measure([&] {
      ping.value.store(++turn, std::memory_order_release);
      while (pong.value.load(std::memory_order_acquire) != turn) {
      }
    });
  }
  latency.report(state);
  ping.value.store(stop, std::memory_order_release);
  echo.join();
}

}  // namespace

BENCHMARK(BM_thread_wake_round_trip)->UseRealTime();
BENCHMARK(BM_spin_round_trip)->UseRealTime();
BENCHMARK(BM_tcp_one_hop)->Arg(16)->Arg(4096)->Arg(65536)->UseRealTime();
BENCHMARK(BM_tcp_two_hop)->Arg(16)->Arg(4096)->Arg(65536)->UseRealTime();
BENCHMARK(BM_tcp_two_hop_busy_poll)->Arg(16)->Arg(4096)->Arg(65536)->UseRealTime();

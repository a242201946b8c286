// The physical limit for calls per second with concurrent callers, the baseline of
// throughput_bench: N caller threads, each with its own loopback TCP connection to a relay
// that runs on one thread (an io_context, as the router does), which forwards every frame to
// one echo connection (the callee: one thread) and routes each answer back to its caller.
// No WAMP, no serialization, no dealer: what is left of a router is reading, routing and
// writing, and both the relay and the echo do it the cheapest way there is: every read takes
// whatever has arrived and handles each whole frame in it, and what a read produced goes out
// in one write.
//
// Frames are a 4-byte big-endian length then the payload (as RawSocket and
// tcp_baseline_bench). Towards the echo the relay puts its caller's index in front of the
// payload; the echo sends every frame back as it came.
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "bench/loopback_server.hpp"

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using autobahn_sync::bench::append_length;
using autobahn_sync::bench::loopback_server;
using autobahn_sync::bench::no_delay;
using autobahn_sync::bench::read_length;

namespace {

constexpr int calls_per_iteration = 2000;
constexpr std::size_t payload_bytes = 16;

// Calls `frame(payload, size)` for every whole frame at the front of `in` and removes them.
template <class OnFrame>
void take_frames(std::string& in, OnFrame&& frame) {
  std::size_t at = 0;
  while (in.size() - at >= 4) {
    const std::uint32_t length = read_length(in.data() + at);
    if (in.size() - at - 4 < length) break;
    frame(in.data() + at + 4, length);
    at += 4 + length;
  }
  in.erase(0, at);
}

// The callee: reads what has arrived, writes all of its answers back at once.
void echo_in_bursts(tcp::socket& s) {
  std::string in;
  std::string out;
  std::vector<char> chunk(64 * 1024);
  error_code ec;
  for (;;) {
    const std::size_t n = s.read_some(asio::buffer(chunk), ec);
    if (ec) return;
    in.append(chunk.data(), n);
    out.clear();
    take_frames(in, [&](const char* payload, std::uint32_t size) {
      append_length(out, size);
      out.append(payload, size);
    });
    if (!out.empty()) asio::write(s, asio::buffer(out), ec);
    if (ec) return;
  }
}

// One end of the relay: a socket, what it has read and not yet routed, what waits to be
// written and what is being written.
struct relay_end {
  explicit relay_end(asio::io_context& io) : socket(io) {}
  tcp::socket socket;
  std::vector<char> chunk = std::vector<char>(64 * 1024);
  std::string in;
  std::string out;
  std::string writing;
};

// The router stand-in: one thread, `callers` connections in, one out to the echo.
class relay {
 public:
  relay(int callers, unsigned short echo_port)
      : acceptor_(io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0)), echo_(io_) {
    echo_.socket.connect(tcp::endpoint(asio::ip::address_v4::loopback(), echo_port));
    no_delay(echo_.socket);
    for (int i = 0; i < callers; ++i) callers_.push_back(std::make_unique<relay_end>(io_));
  }

  unsigned short port() const { return acceptor_.local_endpoint().port(); }

  // Accepts the callers (connected already: they wait in the listen backlog), then runs.
  void start() {
    for (auto& c : callers_) {
      acceptor_.accept(c->socket);
      no_delay(c->socket);
    }
    for (std::uint32_t i = 0; i < callers_.size(); ++i) read_caller(i);
    read_echo();
    thread_ = std::thread([this] { io_.run(); });
  }

  ~relay() {
    io_.stop();
    if (thread_.joinable()) thread_.join();
    error_code ignored;
    echo_.socket.shutdown(tcp::socket::shutdown_both, ignored);  // ends the echo's thread
  }

 private:
  void read_caller(std::uint32_t index) {
    auto& c = *callers_[index];
    c.socket.async_read_some(asio::buffer(c.chunk), [this, index](const error_code& ec, std::size_t n) {
      if (ec) return;
      auto& from = *callers_[index];
      from.in.append(from.chunk.data(), n);
      take_frames(from.in, [&](const char* payload, std::uint32_t size) {
        append_length(echo_.out, size + 4);
        append_length(echo_.out, index);
        echo_.out.append(payload, size);
      });
      flush(echo_);
      read_caller(index);
    });
  }

  void read_echo() {
    echo_.socket.async_read_some(asio::buffer(echo_.chunk), [this](const error_code& ec, std::size_t n) {
      if (ec) return;
      echo_.in.append(echo_.chunk.data(), n);
      std::vector<bool> touched(callers_.size());
      take_frames(echo_.in, [&](const char* payload, std::uint32_t size) {
        const std::uint32_t index = read_length(payload);
        append_length(callers_[index]->out, size - 4);
        callers_[index]->out.append(payload + 4, size - 4);
        touched[index] = true;
      });
      for (std::size_t i = 0; i < callers_.size(); ++i)
        if (touched[i]) flush(*callers_[i]);
      read_echo();
    });
  }

  // Writes what `end` has waiting in one write, unless a write is in flight (its completion
  // writes what came meanwhile).
  void flush(relay_end& end) {
    if (!end.writing.empty() || end.out.empty()) return;
    end.writing.swap(end.out);
    asio::async_write(end.socket, asio::buffer(end.writing), [this, &end](const error_code& ec, std::size_t) {
      end.writing.clear();
      if (!ec) flush(end);
    });
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  relay_end echo_;
  std::vector<std::unique_ptr<relay_end>> callers_;
  std::thread thread_;
};

// A caller's round trips: write a frame, read the answer, `n` times.
void round_trips(tcp::socket& s, int n) {
  std::string frame;
  append_length(frame, payload_bytes);
  frame.append(payload_bytes, 'x');
  std::vector<char> reply(frame.size());
  for (int k = 0; k < n; ++k) {
    asio::write(s, asio::buffer(frame));
    asio::read(s, asio::buffer(reply));
    benchmark::DoNotOptimize(reply.data());
  }
}

void BM_tcp_relay_throughput(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  loopback_server echo(echo_in_bursts);  // the callee, on one thread
  relay r(threads, echo.port());
  asio::io_context io;
  std::vector<tcp::socket> callers;
  for (int i = 0; i < threads; ++i) {
    callers.emplace_back(io);
    callers.back().connect(tcp::endpoint(asio::ip::address_v4::loopback(), r.port()));
    no_delay(callers.back());
  }
  r.start();
  for (auto _ : state) {
    std::vector<std::thread> workers;
    for (auto& s : callers) workers.emplace_back([&s, n = calls_per_iteration / threads] { round_trips(s, n); });
    for (auto& w : workers) w.join();
  }
  state.SetItemsProcessed(state.iterations() * (calls_per_iteration / threads) * threads);
  state.SetLabel("tcp relay/" + std::to_string(payload_bytes) + "B/" + std::to_string(threads) + " threads");
}

}  // namespace

BENCHMARK(BM_tcp_relay_throughput)->Arg(1)->Arg(8)->Arg(64)->UseRealTime()->Unit(benchmark::kMillisecond);

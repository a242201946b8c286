// autobahn-cpp (Debian's autobahn-cpp-dev, RawSocket + MsgPack, its only serializer) calling a
// procedure through our router, the same way //bench:call_bench measures our client: a blocking
// caller starts each call on autobahn-cpp's io_service thread and waits for the result.
// Compare BM_autobahn_cpp_call with BM_call/1/2/<size> (rawsocket/msgpack) of call_bench.
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <tuple>

#include <autobahn/autobahn.hpp>
#include <benchmark/benchmark.h>
#include <boost/asio.hpp>

#include "bench/echo_router.hpp"
#include "bench/latency_recorder.hpp"

namespace {

class autobahn_cpp_caller {
 public:
  explicit autobahn_cpp_caller(unsigned short port) : work_(io_), thread_([this] { io_.run(); }) {
    boost::asio::ip::tcp::endpoint endpoint(boost::asio::ip::address::from_string("127.0.0.1"), port);
    transport_ = std::make_shared<autobahn::wamp_tcp_transport>(io_, endpoint);
    session_ = std::make_shared<autobahn::wamp_session>(io_);
    transport_->attach(std::static_pointer_cast<autobahn::wamp_transport_handler>(session_));
    on_io([this] { return transport_->connect(); }).get();
    on_io([this] { return session_->start(); }).get();
    on_io([this] { return session_->join("realm1"); }).get();
  }
  ~autobahn_cpp_caller() {
    try {
      on_io([this] { return session_->leave(); }).get();
      on_io([this] { return transport_->disconnect(); }).get();
    } catch (...) {
    }
    io_.stop();
    thread_.join();
  }
  std::string call(const std::string& payload) {
    auto result = on_io([&] { return session_->call("bench.echo", std::make_tuple(payload)); }).get();
    return result.argument<std::string>(0);
  }

 private:
  template <class F>
  auto on_io(F f) -> decltype(f()) {
    std::promise<decltype(f())> p;
    auto started = p.get_future();
    boost::asio::post(io_, [&] { p.set_value(f()); });
    return started.get();
  }

  boost::asio::io_service io_;
  boost::asio::io_service::work work_;
  std::thread thread_;
  std::shared_ptr<autobahn::wamp_tcp_transport> transport_;
  std::shared_ptr<autobahn::wamp_session> session_;
};

void BM_autobahn_cpp_call(benchmark::State& state) {
  const bool busy_polling = state.range(1) != 0;
  autobahn_sync::bench::echo_router router(busy_polling);
  autobahn_cpp_caller caller(router.rawsocket_port());
  const std::string payload(static_cast<std::size_t>(state.range(0)), 'x');
  autobahn_sync::bench::latency_recorder latency;
  for (auto _ : state) {
    latency.measure([&] { benchmark::DoNotOptimize(caller.call(payload)); });
  }
  latency.report(state);
  state.SetLabel("autobahn-cpp/rawsocket/msgpack/" + std::to_string(state.range(0)) + "B" +
                 (busy_polling ? "/busy-polling router" : ""));
}

}  // namespace

// Our router as it runs by default, and busy-polling (compared with our busy-polling rows).
BENCHMARK(BM_autobahn_cpp_call)
    ->Args({16, 0})
    ->Args({4096, 0})
    ->Args({65536, 0})
    ->Args({16, 1})
    ->UseRealTime()
    ->MinTime(0.5);

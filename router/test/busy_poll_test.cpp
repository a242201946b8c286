// run_busy_polling: it runs what is posted and stops when the io_context does, and once idle
// for longer than its spin it sleeps instead of burning the core.
#include "router/busy_poll.hpp"

#include <pthread.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>

using autobahn_sync::router::run_busy_polling;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

// CPU time a thread has used so far.
std::chrono::nanoseconds cpu_time_of(std::thread& t) {
  clockid_t clock;
  REQUIRE(pthread_getcpuclockid(t.native_handle(), &clock) == 0);
  timespec ts{};
  REQUIRE(clock_gettime(clock, &ts) == 0);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

}  // namespace

TEST_CASE("a busy-polling thread runs what is posted, from its own handlers too, and stops with the io_context",
          "[busy_poll]") {
  for (auto spin : {0us, 200us}) {
    asio::io_context io(1);
    auto work = asio::make_work_guard(io);
    std::thread runner([&] { run_busy_polling(io, spin); });
    std::atomic<int> ran{0};
    std::promise<void> done;
    asio::post(io, [&] {
      ++ran;
      asio::post(io, [&] {  // posted while it polls
        ++ran;
        done.set_value();
      });
    });
    REQUIRE(done.get_future().wait_for(10s) == std::future_status::ready);
    CHECK(ran == 2);
    io.stop();
    runner.join();  // a stop while it polls or sleeps ends it
    CHECK(io.stopped());
  }
}

TEST_CASE("a busy-polling thread returns when the io_context runs out of work", "[busy_poll]") {
  asio::io_context io(1);
  int ran = 0;
  asio::post(io, [&] { ++ran; });
  std::thread runner([&] { run_busy_polling(io, 1000us); });
  runner.join();
  CHECK(ran == 1);
}

TEST_CASE("a busy-polling thread sleeps once idle for its spin", "[busy_poll]") {
  asio::io_context io(1);
  auto work = asio::make_work_guard(io);
  std::thread runner([&] { run_busy_polling(io, 1000us); });
  std::promise<void> ran;
  asio::post(io, [&] { ran.set_value(); });
  REQUIRE(ran.get_future().wait_for(10s) == std::future_status::ready);
  // Idle for 300 ms of wall time: the thread may spin 1 ms after the handler, then sleeps.
  // Spinning all along would have used (nearly) the whole 300 ms of CPU.
  const auto before = cpu_time_of(runner);
  std::promise<void> never;
  (void)never.get_future().wait_for(300ms);
  const auto used = cpu_time_of(runner) - before;
  io.stop();
  runner.join();
  CHECK(used < 50ms);
}

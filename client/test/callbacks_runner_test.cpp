// callbacks_runner::run_with_io: threads that take turns at an io_context and the runner's
// tasks (leader/follower). Futures synchronize the threads; their waits are bounded so that a
// broken hand-over fails the test instead of hanging it.
#include "client/callbacks_runner.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>

using autobahn_sync::callbacks_runner;
using namespace std::chrono_literals;

namespace {

// Two threads in run_with_io(io), one task at a time; stopped and joined at the end.
struct two_threads {
  boost::asio::io_context io{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{io.get_executor()};
  callbacks_runner runner;
  std::thread a, b;

  two_threads() {
    runner.max_running = 1;
    a = std::thread([this] { runner.run_with_io(io); });
    b = std::thread([this] { runner.run_with_io(io); });
  }
  ~two_threads() {
    runner.stop();
    work.reset();
    io.stop();
    runner.notify();
    a.join();
    b.join();
  }
};

template <class T>
bool ready(std::future<T>& f) {
  return f.wait_for(10s) == std::future_status::ready;
}

}  // namespace

TEST_CASE("run_with_io: the thread that read a message runs its handler, another takes over the I/O",
          "[unit][threads]") {
  std::promise<std::thread::id> reader, handler, next_reader;
  std::promise<void> release;
  auto released = release.get_future().share();
  two_threads t;  // after what its threads use: joined first
  boost::asio::post(t.io, [&] {
    reader.set_value(std::this_thread::get_id());
    t.runner.post([&] {
      handler.set_value(std::this_thread::get_id());
      // While this handler runs, the I/O goes on: on the other thread.
      boost::asio::post(t.io, [&] { next_reader.set_value(std::this_thread::get_id()); });
      (void)released.wait_for(10s);
    });
  });
  auto reader_thread = reader.get_future();
  auto handler_thread = handler.get_future();
  auto next_reader_thread = next_reader.get_future();
  REQUIRE(ready(reader_thread));
  REQUIRE(ready(handler_thread));
  const bool io_went_on = ready(next_reader_thread);
  release.set_value();
  REQUIRE(io_went_on);
  const auto handler_id = handler_thread.get();
  CHECK(handler_id == reader_thread.get());
  CHECK(next_reader_thread.get() != handler_id);
}

TEST_CASE("run_with_io: no more tasks run at once than max_running", "[unit][threads]") {
  std::atomic<bool> second_started{false};
  std::promise<void> second_queued;
  auto queued = second_queued.get_future().share();
  std::promise<bool> second_ran_alongside;
  std::promise<void> second_done;
  two_threads t;  // after what its threads use: joined first
  t.runner.post([&] {
    if (queued.wait_for(10s) != std::future_status::ready) return;
    // The other thread drives the I/O meanwhile: two handlers it runs, one after the other,
    // take it through its loop with the second task queued.
    for (int i = 0; i < 2; ++i) {
      auto ran = std::make_shared<std::promise<void>>();
      boost::asio::post(t.io, [ran] { ran->set_value(); });
      auto f = ran->get_future();
      if (!ready(f)) break;
    }
    second_ran_alongside.set_value(second_started.load());
  });
  t.runner.post([&] {
    second_started = true;
    second_done.set_value();
  });
  second_queued.set_value();
  auto alongside = second_ran_alongside.get_future();
  REQUIRE(ready(alongside));
  CHECK_FALSE(alongside.get());
  auto done = second_done.get_future();
  CHECK(ready(done));  // and it runs once the first one ended
}

TEST_CASE("run_with_io: a task posted from another thread wakes a waiting thread", "[unit][threads]") {
  std::promise<void> ran;
  auto f = ran.get_future();
  two_threads t;  // after what its threads use: joined first
  t.runner.post([&] { ran.set_value(); });
  CHECK(ready(f));
}

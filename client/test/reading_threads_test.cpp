// Who reads a client's connection (client_options::callers_read, "Who reads" in
// client/detail/session_state.hpp): a blocked caller reads its own answer, a callee's
// callbacks thread reads the invocation it runs, and the I/O thread reads whatever else
// comes, also while a caller or a handler keeps the others from reading.
#include "client/autobahn_sync.hpp"

#include <algorithm>
#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <catch2/catch.hpp>

#include "router/router.hpp"
#include "testing/recorder.hpp"
#include "testing/wamp_fixture.hpp"

using namespace autobahn_sync;
namespace w = autobahn_sync::wamp;
namespace testing = autobahn_sync::testing;

namespace {

// The threads on which a connection handed each type of message to its client.
class reading_threads {
 public:
  void add(w::message_type type) {
    std::lock_guard lock(mutex_);
    threads_.emplace(type, std::this_thread::get_id());
  }
  bool read_on(w::message_type type, std::thread::id thread) const { return count_on(type, thread) > 0; }
  std::size_t count(w::message_type type) const {
    std::lock_guard lock(mutex_);
    return threads_.count(type);
  }
  std::size_t count_on(w::message_type type, std::thread::id thread) const {
    std::lock_guard lock(mutex_);
    auto [first, last] = threads_.equal_range(type);
    return static_cast<std::size_t>(std::count_if(first, last, [&](const auto& e) { return e.second == thread; }));
  }

 private:
  mutable std::mutex mutex_;
  std::multimap<w::message_type, std::thread::id> threads_;
};

// Forwards everything to `inner` and notes on which thread each message arrives.
class tapped_connection final : public w::connection {
 public:
  tapped_connection(w::connection_ptr inner, std::shared_ptr<reading_threads> seen)
      : inner_(std::move(inner)), seen_(std::move(seen)) {}
  executor_type get_executor() const override { return inner_->get_executor(); }
  void start(w::connection_handler handler) override {
    auto on_message = std::move(handler.on_message);
    handler.on_message = [seen = seen_, on_message](w::message&& m) {
      seen->add(w::type_of(m));
      on_message(std::move(m));
    };
    inner_->start(std::move(handler));
  }
  boost::system::error_code send(const w::message& msg) override { return inner_->send(msg); }
  void close() override { inner_->close(); }
  void close_abruptly() override { inner_->close_abruptly(); }
  const w::connection_info& info() const noexcept override { return inner_->info(); }

 private:
  w::connection_ptr inner_;
  std::shared_ptr<reading_threads> seen_;
};

// `options` (a fixture's) with every connection tapped into `seen`.
client_options tapped(client_options options, std::shared_ptr<reading_threads> seen) {
  options.connect = [connect = options.connect, seen](boost::asio::any_io_executor ex, const std::string& url,
                                                      w::connect_handler done) {
    connect(ex, url, [seen, done](const boost::system::error_code& ec, w::connection_ptr c) {
      done(ec, c ? std::make_shared<tapped_connection>(c, seen) : c);
    });
  };
  return options;
}

w::list echo(const w::list& args, const w::dict&, const invocation_details&) { return args; }

testing::fixture_options over_rawsocket() {
  testing::fixture_options o;
  o.transport = testing::fixture_transport::rawsocket;
  return o;
}

// The fixture's callee of com.app.echo.
void serve_echo(testing::wamp_fixture& f) {
  f.client("callee", {}, [](AutobahnSync& callee) { callee.register_procedure("com.app.echo", echo); });
}

// Options for the fixture's client "caller" whose on_leave notes its thread in `left_on`.
client_options noting_on_leave(testing::wamp_fixture& f, testing::recorder<std::thread::id>& left_on) {
  auto o = f.options_for("caller");
  o.on_leave = [&left_on](std::exception_ptr) { left_on.add(std::this_thread::get_id()); };
  return o;
}

}  // namespace

TEST_CASE("a caller calling in a loop reads its own results; with callers_read = false its I/O thread does",
          "[client][threads]") {
  testing::wamp_fixture f(over_rawsocket());
  serve_echo(f);
  const bool callers_read = GENERATE(true, false);
  INFO("callers_read = " << callers_read);
  auto seen = std::make_shared<reading_threads>();
  client_options base;
  base.callers_read = callers_read;
  AutobahnSync caller({}, tapped(f.options_for("caller", base), seen));
  caller.run(f.url(), f.realm_name());
  // The I/O thread takes the reading back a millisecond after a caller's last read: a loop
  // of calls keeps it (each call comes microseconds after the last).
  for (int i = 0; i < 50; ++i) REQUIRE(caller.session().call("com.app.echo", {i}).value() == i);
  REQUIRE(seen->count(w::message_type::result) == 50);
  CHECK(seen->read_on(w::message_type::result, std::this_thread::get_id()) == callers_read);
  CHECK_FALSE(seen->read_on(w::message_type::welcome, std::this_thread::get_id()));  // on_join's thread
  caller.stop();
}

TEST_CASE("after a caller's last read, the I/O thread reads what the router sends unasked",
          "[client][threads]") {
  // One call: the I/O thread, which read the join and kept reading, reads its RESULT too and
  // hands the lead over; five: the caller reads its own and keeps the lead between calls.
  const int calls = GENERATE(1, 5);
  INFO(calls << " calls");
  testing::wamp_fixture f(over_rawsocket());
  serve_echo(f);
  testing::recorder<std::thread::id> left_on;
  AutobahnSync caller({}, noting_on_leave(f, left_on));
  caller.run(f.url(), f.realm_name());
  for (int i = 0; i < calls; ++i) REQUIRE(caller.session().call("com.app.echo", {i}).value() == i);
  // Nobody calls any more: the router's GOODBYE is read by the I/O thread.
  f.the_router().with_core([](router::router_core& core) { core.shutdown("wamp.close.system_shutdown"); });
  REQUIRE(left_on.wait_for(1));
  CHECK(left_on.items()[0] != std::this_thread::get_id());
  caller.stop();
}

TEST_CASE("a callee's callbacks thread reads the invocations it runs; the I/O thread reads while a handler runs",
          "[client][threads]") {
  testing::wamp_fixture f(over_rawsocket());
  auto seen = std::make_shared<reading_threads>();
  testing::recorder<std::thread::id> handler_thread;
  std::promise<void> slow_started;
  AutobahnSync callee({}, tapped(f.options_for("callee"), seen));
  callee.register_procedure("com.app.echo", [&](const w::list& args, const w::dict&, const invocation_details&) {
    handler_thread.add(std::this_thread::get_id());
    return call_result{args};
  });
  // Runs until the caller cancels it: the INTERRUPT is read by the I/O thread, since the
  // callbacks thread that would read is busy here.
  callee.register_procedure("com.app.slow", [&](const w::list&, const w::dict&, const invocation_details& d) {
    slow_started.set_value();
    const auto bound = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!d.canceled() && std::chrono::steady_clock::now() < bound) std::this_thread::yield();
    return call_result{{d.canceled()}};
  });
  callee.run(f.url(), f.realm_name());
  auto& caller = f.session("caller");
  for (int i = 0; i < 50; ++i) REQUIRE(caller.call("com.app.echo", {i}).value() == i);
  REQUIRE(handler_thread.size() == 50);
  CHECK(seen->read_on(w::message_type::invocation, handler_thread.items()[0]));

  call_options co;
  co.canceller = std::make_shared<call_canceller>();
  auto slow = std::async(std::launch::async, [&] { return caller.call("com.app.slow", {}, {}, co); });
  slow_started.get_future().wait();
  co.canceller->cancel("kill");
  CHECK_THROWS_AS(slow.get(), ApplicationError);
  REQUIRE(seen->count(w::message_type::interrupt) == 1);
  CHECK_FALSE(seen->read_on(w::message_type::interrupt, handler_thread.items()[0]));
  // The callbacks thread reads again once it is idle.
  const auto read_by_handler_thread = seen->count_on(w::message_type::invocation, handler_thread.items()[0]);
  for (int i = 0; i < 50; ++i) REQUIRE(caller.call("com.app.echo", {i}).value() == i);
  CHECK(seen->count(w::message_type::invocation) == 101);
  CHECK(seen->count_on(w::message_type::invocation, handler_thread.items()[0]) > read_by_handler_thread);
  f.stop_clients();
  callee.stop();
}

TEST_CASE("the session's end read by a caller in its call: on_leave runs on the I/O thread, after the call failed",
          "[client][threads]") {
  testing::wamp_fixture f(over_rawsocket());
  f.client("callee", {}, [&](AutobahnSync& callee) {
    callee.register_procedure("com.app.echo", echo);
    // Ends every session while the caller waits for this call's answer.
    callee.register_procedure("com.app.shutdown", [&](const w::list&, const w::dict&, const invocation_details&) {
      f.the_router().with_core([](router::router_core& core) { core.shutdown("wamp.close.system_shutdown"); });
      return call_result{};
    });
  });
  // The application holds its own lock around its calls, and on_leave takes it: on_leave
  // must not run inside the call (that would deadlock on this thread).
  std::mutex app_lock;
  testing::recorder<std::thread::id> left_on;
  auto o = f.options_for("caller");
  o.on_leave = [&](std::exception_ptr) {
    std::lock_guard lock(app_lock);
    left_on.add(std::this_thread::get_id());
  };
  AutobahnSync caller({}, o);
  caller.run(f.url(), f.realm_name());
  {
    std::lock_guard lock(app_lock);
    for (int i = 0; i < 5; ++i) REQUIRE(caller.session().call("com.app.echo", {i}).value() == i);
    CHECK_THROWS(caller.session().call("com.app.shutdown", {}));
  }
  REQUIRE(left_on.wait_for(1));
  CHECK(left_on.items()[0] != std::this_thread::get_id());
  caller.stop();
}

TEST_CASE("leave() after calls: on_leave has run, on the I/O thread, when leave() returns", "[client][threads]") {
  testing::wamp_fixture f(over_rawsocket());
  serve_echo(f);
  testing::recorder<std::thread::id> left_on;
  AutobahnSync caller({}, noting_on_leave(f, left_on));
  caller.run(f.url(), f.realm_name());
  for (int i = 0; i < 5; ++i) REQUIRE(caller.session().call("com.app.echo", {i}).value() == i);
  caller.session().leave();
  REQUIRE(left_on.size() == 1);
  CHECK(left_on.items()[0] != std::this_thread::get_id());
  caller.stop();
}

TEST_CASE("stop() from on_leave, which runs on the I/O thread, waits for nothing that thread would read",
          "[client][threads]") {
  testing::wamp_fixture f(over_rawsocket());
  serve_echo(f);
  client_options o;
  // Such a wait would outlast the test's time limit.
  o.leave_timeout = std::chrono::hours(1);
  AutobahnSync* self = nullptr;
  testing::recorder<std::thread::id> stopped_on;
  o.on_leave = [&](std::exception_ptr) {
    self->stop();
    stopped_on.add(std::this_thread::get_id());
  };
  AutobahnSync caller({}, f.options_for("caller", o));
  self = &caller;
  caller.run(f.url(), f.realm_name());
  for (int i = 0; i < 5; ++i) REQUIRE(caller.session().call("com.app.echo", {i}).value() == i);
  f.the_router().with_core([](router::router_core& core) { core.shutdown("wamp.close.system_shutdown"); });
  REQUIRE(stopped_on.wait_for(1));
  CHECK(stopped_on.items()[0] != std::this_thread::get_id());
  CHECK_FALSE(caller.running());
}

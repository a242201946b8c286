// client_options::caller_driven_io: a client without an I/O thread, whose waiting callers
// read and write the connection themselves, one at a time.
#include "client/autobahn_sync.hpp"

#include <atomic>
#include <filesystem>
#include <future>
#include <thread>
#include <vector>

#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include "client/test/handlers.hpp"
#include "client/test/trace_messages.hpp"
#include "router/router.hpp"
#include "testing/eventually.hpp"
#include "testing/matchers.hpp"
#include "testing/recorder.hpp"
#include "testing/wamp_fixture.hpp"

using namespace autobahn_sync;
namespace w = autobahn_sync::wamp;
namespace testing = autobahn_sync::testing;
namespace fault = autobahn_sync::testing::fault;
using autobahn_sync::test::sent_by;

namespace {

client_options caller_driven() {
  client_options o;
  o.caller_driven_io = true;
  return o;
}

// A caller-driven client whose on_leave counts and stops the client (inside the session's
// gate, on the thread that read the GOODBYE); it waits as long as it takes for the leave.
client_options stops_itself_on_leave(AutobahnSync& self, int& leaves) {
  auto o = caller_driven();
  o.leave_timeout = std::chrono::hours(1);
  o.on_leave = [&self, &leaves](std::exception_ptr) {
    ++leaves;
    self.stop();
  };
  return o;
}

testing::fixture_options over_rawsocket() {
  return testing::transport_variant{testing::fixture_transport::rawsocket, w::serializer_kind::msgpack}.apply();
}

// The router ends the session (GOODBYE wamp.close.killed); the client reads it at its next call.
void kill_session(testing::wamp_fixture& f, w::id session) {
  REQUIRE(f.the_router().with_core([&](router::router_core& core) {
    return core.kill(session, "wamp.close.killed", "go away");
  }));
}

std::size_t threads_of_this_process() {
  const auto tasks = std::filesystem::directory_iterator("/proc/self/task");
  return static_cast<std::size_t>(std::distance(begin(tasks), end(tasks)));
}

procedure_handler twice() {
  return [](const w::list& a, const w::dict&, const invocation_details&) {
    return call_result{{a.at(0).get<int>() * 2}};
  };
}

// A procedure that does not answer until released, and says when it started.
struct held_procedure {
  std::promise<void> started;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  procedure_handler handler() {
    return [this](const w::list&, const w::dict&, const invocation_details&) {
      started.set_value();
      released.wait();
      return call_result{};
    };
  }
};

// A RawSocket + JSON router on 127.0.0.1 that welcomes one client, answers its first CALL,
// then sends RESULTs for a request nobody made, as fast as the client takes them, until
// `flood_bytes` went (more than the sockets' buffers hold) or the connection is shut down.
class flooding_router {
 public:
  static constexpr std::size_t flood_bytes = std::size_t{128} << 20;

  flooding_router() : thread_([this] { serve(); }) {}
  ~flooding_router() {
    // Wakes the serving thread wherever it blocks: in accept (a client that never came) or in
    // a read or write. shutdown(2) on the descriptors, not on the Asio objects, which that
    // thread is using.
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
    ::shutdown(socket_fd_.load(), SHUT_RDWR);
    thread_.join();
  }
  std::string url() const { return "rs://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }
  /// True once the whole flood was taken by the client.
  bool flood_done() const { return flood_done_.load(); }

 private:
  static std::string frame(const std::string& json) {
    const auto n = json.size();
    return std::string{'\0', static_cast<char>(n >> 16), static_cast<char>(n >> 8), static_cast<char>(n)} + json;
  }
  std::string read_frame() {
    unsigned char header[4];
    boost::asio::read(socket_, boost::asio::buffer(header));
    std::string payload((std::size_t{header[1]} << 16) | (std::size_t{header[2]} << 8) | header[3], '\0');
    boost::asio::read(socket_, boost::asio::buffer(payload));
    return payload;
  }
  void serve() {
    try {
      acceptor_.accept(socket_);
      socket_fd_.store(socket_.native_handle());
      unsigned char hello[4];
      boost::asio::read(socket_, boost::asio::buffer(hello));
      const unsigned char reply[4] = {0x7f, static_cast<unsigned char>(0xf0 | (hello[1] & 0x0f)), 0, 0};
      boost::asio::write(socket_, boost::asio::buffer(reply));
      read_frame();  // HELLO
      boost::asio::write(socket_, boost::asio::buffer(frame(R"([2,1234,{"roles":{"dealer":{}}}])")));
      const auto call = w::value::parse(read_frame());
      std::string flood = frame("[50," + call.at(1).dump() + ",{},[1]]");
      const std::string stray = frame("[50,999999999,{},[\"" + std::string(1000, 'x') + "\"]]");
      for (std::size_t sent = 0; sent < flood_bytes;) {
        while (flood.size() < 64 * stray.size()) flood += stray;
        sent += boost::asio::write(socket_, boost::asio::buffer(flood));
        flood.clear();
      }
      flood_done_.store(true);
    } catch (const boost::system::system_error&) {
      // shut down by the test
    }
  }

  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_{io_, {boost::asio::ip::make_address("127.0.0.1"), 0}};
  boost::asio::ip::tcp::socket socket_{io_};
  std::atomic<int> socket_fd_{-1};
  std::atomic<bool> flood_done_{false};
  std::thread thread_;
};

}  // namespace

TEST_CASE("a caller-driven client calls and publishes over every transport, without an I/O thread",
          "[client][caller_driven]") {
  const auto variant = GENERATE(from_range(testing::all_transports()));
  INFO(variant.name());
  testing::wamp_fixture f(variant.apply());
  testing::event_recorder events;
  f.client("callee", {}, [&](AutobahnSync& callee) {
    callee.register_procedure("com.app.add", test::add);
    callee.subscribe("com.app.event", events.handler());
  });
  AutobahnSync caller({}, f.options_for("caller", caller_driven()));
  const auto threads_before = threads_of_this_process();
  caller.run(f.url(), f.realm_name());
  CHECK(threads_of_this_process() == threads_before + 1);  // the callbacks runner only
  auto& session = caller.session();
  for (int i = 0; i < 20; ++i) {
    auto r = session.call("com.app.add", {i, 3}, {{"x", i}});
    REQUIRE(r.value() == i + 3);
    CHECK(r.kwargs.at("echo").at("x") == i);
  }
  // Unacknowledged PUBLISHes leave before publish() returns, not at the next call (over
  // WebSocket the second waits in the queue until the first write's completion has run).
  CHECK_FALSE(session.publish("com.app.event", {"first"}));
  CHECK_FALSE(session.publish("com.app.event", {"second"}));
  REQUIRE(events.wait_for(2));
  CHECK(events.items()[0].args == w::list{"first"});
  CHECK(events.items()[1].args == w::list{"second"});
  publish_options ack;
  ack.acknowledge = true;
  const auto publication = session.publish("com.app.event", {"third"}, {}, ack);
  CHECK(publication);
  REQUIRE(events.wait_for(3));
  CHECK(events.items()[2].details.publication == *publication);
  caller.stop();
  CHECK_FALSE(caller.running());
}

TEST_CASE("callers sharing a caller-driven session take turns at reading each other's answers",
          "[client][caller_driven][threads]") {
  const auto variant = GENERATE(from_range(testing::all_transports()));
  INFO(variant.name());
  testing::wamp_fixture f(variant.apply());
  f.client("callee", {}, [](AutobahnSync& callee) { callee.register_procedure("com.app.twice", twice()); });
  AutobahnSync caller({}, f.options_for("caller", caller_driven()));
  caller.run(f.url(), f.realm_name());
  auto& session = caller.session();
  std::vector<std::future<int>> callers;
  for (int t = 0; t < 8; ++t) {
    callers.push_back(std::async(std::launch::async, [&session, t] {
      int wrong = 0;
      for (int i = 0; i < 40; ++i) {
        if (session.call("com.app.twice", {t * 1000 + i}).value() != 2 * (t * 1000 + i)) ++wrong;
      }
      return wrong;
    }));
  }
  for (auto& c : callers) CHECK(c.get() == 0);
  caller.stop();
}

TEST_CASE("a caller-driven call receives progressive results on its own thread; leave() ends the session", "[client][caller_driven]") {
  testing::wamp_fixture f(over_rawsocket());
  f.client("callee", {}, [](AutobahnSync& callee) {
    callee.register_procedure("com.app.count", [](const w::list& a, const w::dict&, const invocation_details& d) {
      const int n = a.at(0).get<int>();
      for (int i = 0; i < n; ++i) d.progress({i}, {});
      return call_result{{n}};
    });
  });
  AutobahnSync caller({}, f.options_for("caller", caller_driven()));
  caller.run(f.url(), f.realm_name());
  std::vector<int> seen;
  const auto me = std::this_thread::get_id();
  bool all_here = true;
  call_options o;
  o.on_progress = [&](const call_result& r) {
    seen.push_back(r.value().get<int>());
    all_here = all_here && std::this_thread::get_id() == me;
  };
  CHECK(caller.session().call("com.app.count", {5}, {}, o).value() == 5);
  CHECK(seen == std::vector<int>{0, 1, 2, 3, 4});
  CHECK(all_here);
  // leave() reads the router's GOODBYE on this thread too.
  caller.session().leave();
  CHECK_FALSE(caller.session().is_joined());
  caller.stop();
}

TEST_CASE("stop() from another thread ends a caller-driven call that waits", "[client][caller_driven]") {
  held_procedure held;  // outlives the callee, whose thread leaves its handler after release
  testing::wamp_fixture f(over_rawsocket());
  f.client("callee", {}, [&](AutobahnSync& callee) { callee.register_procedure("com.app.held", held.handler()); });
  AutobahnSync caller({}, f.options_for("caller", caller_driven()));
  caller.run(f.url(), f.realm_name());
  auto call = std::async(std::launch::async, [&] { caller.session().call("com.app.held"); });
  held.started.get_future().wait();
  caller.stop();
  CHECK_THROWS_AS(call.get(), NotRunningError);
  held.release.set_value();
}

TEST_CASE("a caller-driven client is woken by answers delivered on the router's thread and by virtual time",
          "[client][caller_driven]") {
  // In-process on virtual time: no real deadline ever ends the driving thread's wait, so
  // only the wake of the thread that delivered the answer (or advanced the clock) does.
  testing::fixture_options o;
  o.virtual_time = true;
  o.client.call_timeout = std::chrono::seconds(10);
  o.client.caller_driven_io = true;
  held_procedure held;  // outlives the callee, whose thread leaves its handler after release
  testing::wamp_fixture f(o);
  f.client("callee", {}, [&](AutobahnSync& callee) {
    callee.options().caller_driven_io = false;
    callee.register_procedure("com.app.twice", twice());
    callee.register_procedure("com.app.held", held.handler());
  });
  auto& session = f.session("caller");
  for (int i = 0; i < 20; ++i) REQUIRE(session.call("com.app.twice", {i}).value() == 2 * i);

  auto call = std::async(std::launch::async, [&] { session.call("com.app.held"); });
  held.started.get_future().wait();
  f.advance(std::chrono::seconds(11));
  try {
    call.get();
    FAIL("the call did not time out");
  } catch (const ApplicationError& e) {
    CHECK(e.error() == "wamp.error.timeout");
  }
  held.release.set_value();
}

TEST_CASE("a caller-driven client sees what the router said while nobody waited at its next call",
          "[client][caller_driven]") {
  testing::wamp_fixture f(over_rawsocket());
  f.client("callee", {}, [](AutobahnSync& callee) { callee.register_procedure("com.app.twice", twice()); });
  AutobahnSync caller({}, f.options_for("caller", caller_driven()));
  caller.run(f.url(), f.realm_name());
  auto& session = caller.session();
  REQUIRE(session.call("com.app.twice", {1}).value() == 2);
  kill_session(f, session.id());
  // The GOODBYE is read by the next caller: its call fails, saying why.
  try {
    session.call("com.app.twice", {2});
    FAIL("the call after the kill succeeded");
  } catch (const TransportLost& e) {
    CHECK_THAT(e.what(), Catch::Contains("wamp.close.killed"));
  }
  CHECK_FALSE(session.is_joined());
  CHECK_THROWS_AS(session.call("com.app.twice", {3}), TransportLost);
  caller.stop();
}

TEST_CASE("stop() from on_leave, on the thread that reads for a caller-driven client", "[client][caller_driven]") {
  testing::wamp_fixture f(over_rawsocket());
  f.client("callee", {}, [](AutobahnSync& callee) { callee.register_procedure("com.app.twice", twice()); });
  auto o = caller_driven();
  // stop() must not wait for what this very thread would have to read: with these timeouts
  // such a wait would outlast the test's time limit.
  o.leave_timeout = std::chrono::hours(1);
  AutobahnSync* self = nullptr;
  std::thread::id stopped_on;
  o.on_leave = [&](std::exception_ptr) {
    stopped_on = std::this_thread::get_id();
    self->stop();
  };
  AutobahnSync caller({}, f.options_for("caller", o));
  self = &caller;
  caller.run(f.url(), f.realm_name());
  auto& session = caller.session();
  REQUIRE(session.call("com.app.twice", {1}).value() == 2);
  kill_session(f, session.id());
  // This call reads the GOODBYE; on_leave runs here and stops the client.
  CHECK_THROWS_AS(session.call("com.app.twice", {2}), Error);
  CHECK(stopped_on == std::this_thread::get_id());
  CHECK_FALSE(caller.running());
}

TEST_CASE("stop() from on_leave when a call's canceller was cancelled before the call", "[client][caller_driven]") {
  // The cancelled call throws without being sent or reading anything; the next call reads
  // what is ready (the router's GOODBYE), so that on_leave runs there and stops the client.
  // In-process, so that the GOODBYE is surely queued for the client when the calls start.
  testing::wamp_fixture f;
  f.client("callee", {}, [](AutobahnSync& callee) { callee.register_procedure("com.app.twice", twice()); });
  int leaves = 0;
  AutobahnSync caller({}, f.options_for("caller", stops_itself_on_leave(caller, leaves)));
  caller.run(f.url(), f.realm_name());
  auto& session = caller.session();
  REQUIRE(session.call("com.app.twice", {1}).value() == 2);
  // The GOODBYE is queued for the client before the next call starts.
  f.the_router().with_core([&](router::router_core& core) { return core.kill(session.id(), "wamp.close.killed", ""); });
  auto canceller = std::make_shared<call_canceller>();
  canceller->cancel("killnowait");
  call_options co;
  co.canceller = canceller;
  CHECK_THROWS_MATCHES(session.call("com.app.twice", {2}, {}, co), ApplicationError,
                       testing::has_error_uri("wamp.error.canceled"));
  CHECK(leaves == 0);
  CHECK_THROWS_AS(session.call("com.app.twice", {3}, {}, co), Error);
  CHECK(leaves == 1);
  CHECK_FALSE(caller.running());
}

TEST_CASE("a canceller's cancel waits for no lock that stop() from on_leave holds", "[client][caller_driven]") {
  // The cancel runs under the guard that stop() closes; stop() from on_leave runs inside the
  // session's gate. Were the cancel to read the connection itself (enter the gate) under that
  // guard, a cancel on one thread and on_leave's stop() on another could each wait for the
  // other: ThreadSanitizer reports the two lock orders even when one thread takes both.
  testing::wamp_fixture f;
  f.client("callee", {}, [](AutobahnSync& callee) { callee.register_procedure("com.app.twice", twice()); });
  int leaves = 0;
  AutobahnSync caller({}, f.options_for("caller", stops_itself_on_leave(caller, leaves)));
  caller.run(f.url(), f.realm_name());
  auto& session = caller.session();
  auto canceller = std::make_shared<call_canceller>();
  canceller->cancel("killnowait");
  call_options co;
  co.canceller = canceller;
  CHECK_THROWS_MATCHES(session.call("com.app.twice", {1}, {}, co), ApplicationError,
                       testing::has_error_uri("wamp.error.canceled"));
  REQUIRE(session.call("com.app.twice", {2}).value() == 4);  // the session goes on
  f.the_router().with_core([&](router::router_core& core) { return core.kill(session.id(), "wamp.close.killed", ""); });
  // This call reads the GOODBYE: on_leave stops the client inside the gate.
  CHECK_THROWS_AS(session.call("com.app.twice", {3}), Error);
  CHECK(leaves == 1);
  CHECK_FALSE(caller.running());
}

TEST_CASE("another thread cancels a waiting caller-driven call; the waiting caller sends the CANCEL", "[client][caller_driven]") {
  // The cancelling thread only posts the cancel: the caller, leading while it waits, runs it.
  testing::wamp_fixture f(over_rawsocket());
  held_procedure held;
  f.client("callee", {}, [&](AutobahnSync& callee) {
    callee.register_procedure("com.app.held", held.handler());
    callee.register_procedure("com.app.twice", twice());
  });
  AutobahnSync caller({}, f.options_for("caller", caller_driven()));
  caller.run(f.url(), f.realm_name());
  auto canceller = std::make_shared<call_canceller>();
  std::thread cancelling([&] {
    held.started.get_future().wait();
    canceller->cancel("killnowait");
  });
  call_options co;
  co.canceller = canceller;
  CHECK_THROWS_MATCHES(caller.session().call("com.app.held", {}, {}, co), ApplicationError,
                       testing::has_error_uri("wamp.error.canceled"));
  cancelling.join();
  held.release.set_value();
  // The next call's wait writes the CANCEL if the cancelled call's did not get to it.
  CHECK(caller.session().call("com.app.twice", {3}).value() == 6);
  REQUIRE(testing::eventually([&] { return sent_by<w::cancel>(f, "caller").size() == 1; }));
  CHECK(sent_by<w::cancel>(f, "caller").at(0).options.at("mode") == "killnowait");
}

TEST_CASE("on_join and on_leave that throw do not stop a caller-driven client's reading", "[client][caller_driven]") {
  testing::wamp_fixture f(over_rawsocket());
  f.client("callee", {}, [](AutobahnSync& callee) { callee.register_procedure("com.app.twice", twice()); });
  auto o = caller_driven();
  int joins = 0;
  int leaves = 0;
  o.on_join = [&](w::id) {
    ++joins;
    throw std::runtime_error("on_join fails");
  };
  o.on_leave = [&](std::exception_ptr) {
    ++leaves;
    throw std::runtime_error("on_leave fails");
  };
  AutobahnSync caller({}, f.options_for("caller", o));
  caller.run(f.url(), f.realm_name());  // on_join ran in this wait, on this thread
  CHECK(joins == 1);
  CHECK(caller.session().call("com.app.twice", {4}).value() == 8);
  CHECK(caller.session().call("com.app.twice", {5}).value() == 10);
  caller.stop();
  CHECK(leaves == 1);
}

TEST_CASE("a caller-driven call returns its answer while the router keeps sending", "[client][caller_driven]") {
  // Before the lead is given up only what is ready runs, and only a little of it: a router
  // that never stops sending does not keep the caller from its answer.
  flooding_router router;
  auto o = caller_driven();
  o.serializers = {w::serializer_kind::json};
  o.leave_timeout = std::chrono::milliseconds(1);  // busy flooding, this router never says goodbye
  AutobahnSync client({}, o);
  client.run(router.url(), "realm1");
  CHECK(client.session().call("com.example.answer").value() == 1);
  CHECK_FALSE(router.flood_done());
  client.stop();
}

TEST_CASE("caller_driven_io refuses what it cannot serve, saying why", "[client][caller_driven]") {
  testing::wamp_fixture f;
  SECTION("handlers") {
    AutobahnSync caller({}, f.options_for("caller", caller_driven()));
    caller.run(f.url(), f.realm_name());
    try {
      caller.session().subscribe("com.app.event", [](const w::list&, const w::dict&, const event_details&) {});
      FAIL("subscribe succeeded");
    } catch (const Error& e) {
      CHECK_THAT(e.what(), Catch::Contains("caller_driven_io"));
    }
    CHECK_THROWS_AS(caller.session().register_procedure("com.app.twice", twice()), Error);
    caller.stop();
  }
  SECTION("handlers registered before run()") {
    AutobahnSync caller({}, f.options_for("caller", caller_driven()));
    caller.register_procedure("com.app.twice", twice());
    CHECK_THROWS_AS(caller.run(f.url(), f.realm_name()), Error);
    CHECK_FALSE(caller.running());
  }
  SECTION("reconnection") {
    auto o = caller_driven();
    o.reconnect.enabled = true;
    AutobahnSync caller({}, f.options_for("caller", o));
    try {
      caller.run(f.url(), f.realm_name());
      FAIL("run() succeeded");
    } catch (const Error& e) {
      CHECK_THAT(e.what(), Catch::Contains("reconnect"));
    }
    CHECK_FALSE(caller.running());
  }
  SECTION("a wait hook of a simulation") {
    auto o = caller_driven();
    o.wait = [](const std::function<bool()>&, std::chrono::steady_clock::time_point, std::string_view) {};
    AutobahnSync caller({}, f.options_for("caller", o));
    CHECK_THROWS_AS(caller.run(f.url(), f.realm_name()), Error);
    CHECK_FALSE(caller.running());
  }
  SECTION("an executor of the application's") {
    boost::asio::io_context io;
    AutobahnSync caller({}, f.options_for("caller", caller_driven()));
    CHECK_THROWS_AS(caller.run_in_io_context(io, f.url(), f.realm_name()), Error);
    CHECK_FALSE(caller.running());
  }
}

TEST_CASE("a caller-driven call under transport faults: sliced, lost and cut-off answers",
          "[client][caller_driven][faults]") {
  const auto transport = GENERATE(testing::fixture_transport::rawsocket, testing::fixture_transport::websocket);
  testing::wamp_fixture f(testing::transport_variant{transport, w::serializer_kind::msgpack}.apply());
  INFO(testing::to_string(transport));
  f.client("callee", {}, [](AutobahnSync& callee) { callee.register_procedure("com.app.twice", twice()); });
  AutobahnSync caller({}, f.options_for("caller", caller_driven()));
  caller.run(f.url(), f.realm_name());
  auto& session = caller.session();
  const auto results_to_caller = testing::match().type(w::message_type::result).to_client().session("caller");

  SECTION("each RESULT arrives in 3-byte pieces") {
    auto sliced = f.faults().install(testing::match(results_to_caller), fault::slice(3));
    for (int i = 0; i < 10; ++i) REQUIRE(session.call("com.app.twice", {i}).value() == 2 * i);
    CHECK(sliced.hits() == 10);
  }
  SECTION("a RESULT that never comes: the call times out, the next one is answered") {
    auto lost = f.faults().install(testing::match(results_to_caller).nth(1), fault::drop());
    call_options o;
    o.timeout = std::chrono::milliseconds(200);
    try {
      session.call("com.app.twice", {1}, {}, o);
      FAIL("the call without an answer returned");
    } catch (const ApplicationError& e) {
      CHECK(e.error() == "wamp.error.timeout");
    }
    CHECK(session.call("com.app.twice", {2}).value() == 4);
  }
  SECTION("the connection closes instead of the RESULT: the waiting caller sees TransportLost") {
    auto cut = f.faults().install(testing::match(results_to_caller), fault::close_before());
    CHECK_THROWS_AS(session.call("com.app.twice", {1}), TransportLost);
    CHECK_FALSE(session.is_joined());
  }
  caller.stop();
}

// Our client (AutobahnSync) against fox-wamp, a WAMP router written in Node (npm `fox-wamp`,
// installed into testing/interop/js/node_modules by tools/bootstrap.sh), over WebSocket with
// JSON (fox-wamp speaks no MsgPack).
//
// fox-wamp runs as a subprocess (testing/interop/js/fox_wamp_router.js, started with
// `/usr/bin/env node`): it prints its two listeners (open, and ticket-authenticated) and
// traces every message it sends and receives on stderr, which lands in this test's log.
//
// Every test case prints one machine-readable line for docs/interop.md
// (testing/interop/make_matrix.py):
//   RESULT peer=fox-wamp feature=call serializer=json transport=websocket status=pass
// A test case tagged [unsupported] checks how our client reports a feature fox-wamp lacks;
// its line then says status=unsupported-by-peer (or fail when that check failed). Tagged
// [msgpack]: the line says serializer=msgpack.
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "client/autobahn_sync.hpp"
#include "client/errors.hpp"
#include "client/options.hpp"

namespace as = autobahn_sync;
namespace wamp = autobahn_sync::wamp;
using namespace std::chrono_literals;

namespace {

const char* script = "testing/interop/js/fox_wamp_router.js";

// fox-wamp as a child process: stdin is a pipe we keep open (it exits when it closes),
// stdout is read line by line with a deadline, stderr (its message trace) is inherited.
class fox_router {
 public:
  fox_router() {
    int in[2], out[2];
    REQUIRE(pipe(in) == 0);
    REQUIRE(pipe(out) == 0);
    pid_ = fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      close(in[1]);
      close(out[0]);
      execl("/usr/bin/env", "env", "node", script, static_cast<char*>(nullptr));
      std::perror("exec /usr/bin/env node");
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    stdin_ = in[1];
    stdout_ = out[0];
    open_url_ = url_from(line(std::chrono::seconds(20)), "");
    ticket_url_ = url_from(line(std::chrono::seconds(5)), " ticket");
    std::printf("fox-wamp listening on %s and %s (ticket)\n", open_url_.c_str(), ticket_url_.c_str());
  }
  ~fox_router() {
    if (stdin_ >= 0) close(stdin_);
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    if (stdout_ >= 0) close(stdout_);
  }
  const std::string& open_url() const { return open_url_; }
  const std::string& ticket_url() const { return ticket_url_; }

 private:
  // The next stdout line, or "" when none came before the deadline or the child exited.
  std::string line(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
        std::string l = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return l;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return {};
      pollfd p{stdout_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char chunk[1024];
      ssize_t n = read(stdout_, chunk, sizeof chunk);
      if (n <= 0) return {};
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }
  static std::string url_from(const std::string& line, const std::string& suffix) {
    INFO("fox-wamp printed: '" << line << "' (npm packages missing? run tools/bootstrap.sh)");
    const std::string prefix = "listening ";
    REQUIRE(line.rfind(prefix + "ws://127.0.0.1:", 0) == 0);
    REQUIRE(line.size() >= suffix.size());
    REQUIRE(line.compare(line.size() - suffix.size(), suffix.size(), suffix) == 0);
    return line.substr(prefix.size(), line.size() - prefix.size() - suffix.size());
  }

  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  std::string buffer_;
  std::string open_url_, ticket_url_;
};

// One fox-wamp for the whole run.
fox_router& router() {
  static fox_router r;
  return r;
}

as::client_options json_only() {
  as::client_options o;
  o.serializers = {wamp::serializer_kind::json};
  o.call_timeout = 5s;
  o.join_timeout = 10s;
  o.leave_timeout = 2s;
  return o;
}

// A client joined to fox-wamp's open listener.
std::unique_ptr<as::AutobahnSync> joined(as::client_options o = json_only()) {
  auto app = std::make_unique<as::AutobahnSync>(std::vector<std::string>{}, std::move(o));
  app->run(router().open_url(), "realm1");
  return app;
}

// Values handed over from handler threads, awaited with a deadline.
template <class T>
class mailbox {
 public:
  void put(T v) {
    std::lock_guard lock(mutex_);
    items_.push_back(std::move(v));
    cv_.notify_all();
  }
  std::optional<T> get(std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, timeout, [&] { return !items_.empty(); })) return std::nullopt;
    T v = std::move(items_.front());
    items_.pop_front();
    return v;
  }
  // True when nothing arrives within `quiet` (for events that must not come).
  bool stays_empty(std::chrono::milliseconds quiet) {
    std::unique_lock lock(mutex_);
    return !cv_.wait_for(lock, quiet, [&] { return !items_.empty(); });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<T> items_;
};

// Prints the RESULT line of each test case (see the top of this file).
class result_lines : public Catch::TestEventListenerBase {
 public:
  using TestEventListenerBase::TestEventListenerBase;
  void testCaseEnded(const Catch::TestCaseStats& stats) override {
    const std::string& name = stats.testInfo.name;
    const std::string prefix = "fox-wamp: ";
    if (name.rfind(prefix, 0) != 0) return;
    const std::string feature = name.substr(prefix.size(), name.find(' ', prefix.size()) - prefix.size());
    bool unsupported = false;
    const char* serializer = "json";
    for (const auto& tag : stats.testInfo.tags) {
      unsupported = unsupported || tag == "unsupported";
      if (tag == "msgpack") serializer = "msgpack";
    }
    const char* status = !stats.totals.assertions.allOk() ? "fail"
                         : unsupported                    ? "unsupported-by-peer"
                                                          : "pass";
    std::printf("RESULT peer=fox-wamp feature=%s serializer=%s transport=websocket status=%s\n",
                feature.c_str(), serializer, status);
    std::fflush(stdout);
  }
};
CATCH_REGISTER_LISTENER(result_lines)

}  // namespace

TEST_CASE("fox-wamp: join_anonymous", "[interop]") {
  auto app = joined();
  CHECK(app->session().is_joined());
  CHECK(app->session().id() > 0);
  app->stop();
}

TEST_CASE("fox-wamp: join_ticket", "[interop]") {
  auto o = json_only();
  o.ticket = "s3cret";
  as::AutobahnSync app({"ticket"}, o);
  app.run(router().ticket_url(), "realm1", {"ticket"}, "joe");
  CHECK(app.session().is_joined());
  CHECK(app.session().welcome_details().at("authid") == "joe");
  app.stop();

  // a wrong ticket: the join fails with the router's ABORT reason
  o.ticket = "wrong";
  as::AutobahnSync intruder({"ticket"}, o);
  try {
    intruder.run(router().ticket_url(), "realm1", {"ticket"}, "joe");
    FAIL("a wrong ticket got in");
  } catch (const as::AbortError& e) {
    CHECK(e.reason() == "wamp.error.authentication_failed");
  }
}

TEST_CASE("fox-wamp: call (register, call, RESULT with null kwargs)", "[interop]") {
  auto callee = joined();
  auto caller = joined();
  callee->session().register_procedure("com.example.add", [](const wamp::list& args, const wamp::dict& kwargs,
                                                             const as::invocation_details&) {
    const auto scale = kwargs.count("scale") ? kwargs.at("scale").get<int>() : 1;
    return as::call_result(wamp::list{(args.at(0).get<int>() + args.at(1).get<int>()) * scale});
  });
  CHECK(caller->session().call("com.example.add", {2, 3}).value() == 5);
  CHECK(caller->session().call("com.example.add", {2, 3}, {{"scale", 10}}).value() == 50);
  // a result with kwargs
  callee->session().register_procedure("com.example.multi", [](const wamp::list& args, const wamp::dict&,
                                                               const as::invocation_details&) {
    return as::call_result(wamp::list{"a", "b"}, wamp::dict{{"c", args.size()}});
  });
  auto r = caller->session().call("com.example.multi", {1, 2, 3});
  CHECK(r.args == wamp::list{"a", "b"});
  CHECK(r.kwargs == wamp::dict{{"c", 3}});
  caller->stop();
  callee->stop();
}

TEST_CASE("fox-wamp: procedure_already_exists", "[interop][unsupported]") {
  // fox-wamp accepts a second registration of a procedure (REGISTERED, not ERROR
  // wamp.error.procedure_already_exists): our client reports what the router said, a
  // registration.
  auto callee = joined();
  auto other = joined();
  callee->session().register_procedure("com.example.twice", [](auto&&...) { return as::call_result(wamp::list{1}); });
  auto second = other->session().register_procedure("com.example.twice", [](auto&&...) { return as::call_result(wamp::list{2}); });
  WARN("fox-wamp accepted a second registration of com.example.twice");
  CHECK(second.active());
  other->stop();
  callee->stop();
}

TEST_CASE("fox-wamp: error_no_such_procedure", "[interop]") {
  auto caller = joined();
  try {
    caller->session().call("com.example.missing");
    FAIL("no error");
  } catch (const as::ApplicationError& e) {
    CHECK(e.error() == "wamp.error.no_such_procedure");
  }
  caller->stop();
}

TEST_CASE("fox-wamp: error_uri_args_kwargs", "[interop][unsupported]") {
  // fox-wamp does not forward a callee's ERROR: it answers the caller with
  // wamp.error.callee_failure and the callee's error URI as the only argument, dropping the
  // callee's args and kwargs. Our client reports exactly that.
  auto callee = joined();
  auto caller = joined();
  callee->session().register_procedure("com.example.fail", [](auto&&...) -> as::call_result {
    throw as::ApplicationError("com.example.error.bad", {"why", 42}, {{"field", "x"}});
  });
  try {
    caller->session().call("com.example.fail");
    FAIL("no error");
  } catch (const as::ApplicationError& e) {
    INFO(e.what());
    CHECK(e.error() == "wamp.error.callee_failure");
    CHECK(e.args() == wamp::list{"com.example.error.bad"});
    CHECK(e.kwargs().empty());
  }
  caller->stop();
  callee->stop();
}

TEST_CASE("fox-wamp: publish_subscribe", "[interop]") {
  auto sub = joined();
  auto pub = joined();
  mailbox<std::pair<wamp::list, wamp::dict>> got;
  sub->session().subscribe("com.example.topic", [&](const wamp::list& a, const wamp::dict& k, const as::event_details&) {
    got.put({a, k});
  });
  as::publish_options ack;
  ack.acknowledge = true;
  auto id = pub->session().publish("com.example.topic", {1, "two"}, {{"three", 3}}, ack);
  CHECK(id.has_value());
  auto event = got.get();
  REQUIRE(event.has_value());
  CHECK(event->first == wamp::list{1, "two"});
  CHECK(event->second == wamp::dict{{"three", 3}});
  // without acknowledge too
  CHECK_FALSE(pub->session().publish("com.example.topic", {"plain"}).has_value());
  event = got.get();
  REQUIRE(event.has_value());
  CHECK(event->first == wamp::list{"plain"});
  pub->stop();
  sub->stop();
}

TEST_CASE("fox-wamp: exclude_me", "[interop]") {
  auto pub = joined();
  mailbox<std::string> mine;
  pub->session().subscribe("com.example.mine", [&](const wamp::list& a, const wamp::dict&, const as::event_details&) {
    mine.put(a.at(0).get<std::string>());
  });
  as::publish_options o;
  o.acknowledge = true;
  // exclude_me (the default): the publisher does not get its own event; with false it does.
  // Events reach a subscriber in publication order, so the first one it gets is "self".
  pub->session().publish("com.example.mine", {"excluded"}, {}, o);
  o.exclude_me = false;
  pub->session().publish("com.example.mine", {"self"}, {}, o);
  auto first = mine.get();
  REQUIRE(first.has_value());
  CHECK(*first == "self");
  pub->stop();
}

TEST_CASE("fox-wamp: progressive_results", "[interop]") {
  auto callee = joined();
  auto caller = joined();
  callee->session().register_procedure("com.example.count", [](const wamp::list& args, const wamp::dict&,
                                                               const as::invocation_details& d) {
    if (d.receive_progress)
      for (int i = 0; i < args.at(0).get<int>(); ++i) d.progress({i}, {});
    return as::call_result(wamp::list{args.at(0)});
  });
  std::vector<wamp::value> seen;
  as::call_options o;
  o.on_progress = [&](const as::call_result& r) { seen.push_back(r.value()); };
  CHECK(caller->session().call("com.example.count", {3}, {}, o).value() == 3);
  CHECK(seen == std::vector<wamp::value>{0, 1, 2});
  caller->stop();
  callee->stop();
}

TEST_CASE("fox-wamp: pattern_subscription", "[interop][unsupported]") {
  // fox-wamp ignores SUBSCRIBE.Options.match ("prefix", "wildcard"): it confirms the
  // subscription but treats the URI as exact. Publishing to a topic under the prefix and then
  // to the prefix itself, the subscriber's first event is the second publication.
  auto sub = joined();
  auto pub = joined();
  mailbox<std::string> topics;
  as::subscribe_options prefix;
  prefix.match = "prefix";
  sub->session().subscribe("com.example", [&](const wamp::list&, const wamp::dict&, const as::event_details& d) {
    topics.put(d.topic);
  }, prefix);
  as::publish_options ack;
  ack.acknowledge = true;
  pub->session().publish("com.example.a.b", {}, {}, ack);
  pub->session().publish("com.example", {}, {}, ack);
  auto t = topics.get();
  REQUIRE(t.has_value());
  CHECK(*t == "com.example");
  pub->stop();
  sub->stop();
}

TEST_CASE("fox-wamp: pattern_registration", "[interop][unsupported]") {
  // fox-wamp ignores REGISTER.Options.match: a call to a URI the wildcard matches gets
  // wamp.error.no_such_procedure, which our client reports as such.
  auto callee = joined();
  auto caller = joined();
  as::register_options wildcard;
  wildcard.match = "wildcard";
  callee->session().register_procedure("com..get", [](const wamp::list&, const wamp::dict&, const as::invocation_details& d) {
    return as::call_result(wamp::list{"wildcard " + d.procedure});
  }, wildcard);
  try {
    caller->session().call("com.orders.get");
    FAIL("fox-wamp matched a wildcard registration (update this test: the feature is supported)");
  } catch (const as::ApplicationError& e) {
    CHECK(e.error() == "wamp.error.no_such_procedure");
  }
  caller->stop();
  callee->stop();
}

TEST_CASE("fox-wamp: cancel", "[interop][unsupported]") {
  // fox-wamp ignores CANCEL, and its WELCOME does not announce call_canceling: our client
  // sends none and ends the call at once with wamp.error.canceled (before, it waited for an
  // answer that never came, until the call's timeout). The callee's late YIELD, forwarded by
  // fox-wamp as a RESULT for a call the client no longer waits for, is ignored.
  auto callee = joined();
  auto caller = joined();
  mailbox<bool> invoked;
  mailbox<bool> release;
  callee->session().register_procedure("com.example.slow", [&](auto&&...) {
    invoked.put(true);
    release.get(10s);  // until the test is done with it
    return as::call_result(wamp::list{"late"});
  });
  as::call_options o;
  o.timeout = 60s;  // not what ends it
  o.canceller = std::make_shared<as::call_canceller>();
  std::thread canceller([&] {
    if (invoked.get(5s)) o.canceller->cancel("kill");
  });
  try {
    caller->session().call("com.example.slow", {}, {}, o);
    FAIL("the canceled call returned");
  } catch (const as::ApplicationError& e) {
    INFO(e.what());
    CHECK(e.error() == "wamp.error.canceled");
  }
  canceller.join();
  release.put(true);
  // the session still works after the stray RESULT
  callee->session().register_procedure("com.example.ping", [](auto&&...) { return as::call_result(wamp::list{"pong"}); });
  CHECK(caller->session().call("com.example.ping").value() == "pong");
  caller->stop();
  callee->stop();
}

TEST_CASE("fox-wamp: join_anonymous (MsgPack offered alone)", "[interop][unsupported][msgpack]") {
  // fox-wamp only speaks wamp.2.json: a client that offers only MsgPack must fail to connect
  // with an error that says so.
  auto o = json_only();
  o.serializers = {wamp::serializer_kind::msgpack};
  as::AutobahnSync app({}, o);
  try {
    app.run(router().open_url(), "realm1");
    FAIL("joined without a common serializer");
  } catch (const as::ConnectionRefusedError& e) {
    INFO(e.what());
    CHECK(std::string(e.what()).find("serializer unsupported by peer") != std::string::npos);
  }
}

// Our router under autobahn-cpp 17.5.1 (Debian autobahn-cpp-dev) over RawSocket with MsgPack
// (its only serializer): join, register and call, publish and subscribe.
//
// The router binary runs as a subprocess (`--rs 127.0.0.1:0`); autobahn-cpp runs on an
// io_service thread of its own, and every operation is started there and awaited with a
// deadline. Prints one RESULT line per test case for docs/interop.md.
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <tuple>

#include <autobahn/autobahn.hpp>
#include <boost/asio.hpp>
#include <catch2/catch.hpp>

namespace {

const char* binary = "tools/router/router";

// The router binary with stdout captured; killed at exit.
struct router_process {
  pid_t pid = -1;
  FILE* out = nullptr;
  unsigned short port = 0;

  router_process() {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      dup2(fds[1], 1);
      close(fds[0]);
      execl(binary, binary, "--rs", "127.0.0.1:0", "--realm", "realm1", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fds[1]);
    out = fdopen(fds[0], "r");
    char line[512] = {};
    // The router prints its listener before serving; a dead child gives EOF at once.
    REQUIRE(fgets(line, sizeof line, out) != nullptr);
    const std::string l = line;
    INFO(l);
    REQUIRE(l.rfind("listening rs://127.0.0.1:", 0) == 0);
    port = static_cast<unsigned short>(std::stoi(l.substr(std::string("listening rs://127.0.0.1:").size())));
  }
  ~router_process() {
    if (pid > 0) {
      kill(pid, SIGTERM);
      waitpid(pid, nullptr, 0);
    }
    if (out) fclose(out);
  }
};

router_process& router() {
  static router_process r;
  return r;
}

// An autobahn-cpp session on its own io_service thread, joined to realm1.
class peer {
 public:
  peer() : work_(io_), thread_([this] { io_.run(); }) {
    boost::asio::ip::tcp::endpoint endpoint(boost::asio::ip::address::from_string("127.0.0.1"), router().port);
    transport_ = std::make_shared<autobahn::wamp_tcp_transport>(io_, endpoint);
    session_ = std::make_shared<autobahn::wamp_session>(io_);
    transport_->attach(std::static_pointer_cast<autobahn::wamp_transport_handler>(session_));
    await(on_io([this] { return transport_->connect(); }));
    await(on_io([this] { return session_->start(); }));
    session_id = await(on_io([this] { return session_->join("realm1"); }));
  }
  ~peer() {
    try {
      await(on_io([this] { return session_->leave(); }));
      await(on_io([this] { return transport_->disconnect(); }));
    } catch (...) {
    }
    io_.stop();
    thread_.join();
  }
  autobahn::wamp_session& session() { return *session_; }

  // Runs f (returning a boost::future) on the io thread; returns that future.
  template <class F>
  auto on_io(F f) -> decltype(f()) {
    std::promise<decltype(f())> p;
    auto result = p.get_future();
    boost::asio::post(io_, [&] { p.set_value(f()); });
    return result.get();
  }
  // Waits for a future with a deadline; its exception, or a timeout, fails the test case.
  template <class T>
  static T await(boost::future<T> f) {
    REQUIRE(f.wait_for(boost::chrono::seconds(10)) == boost::future_status::ready);
    return f.get();
  }

  uint64_t session_id = 0;

 private:
  boost::asio::io_service io_;
  boost::asio::io_service::work work_;
  std::thread thread_;
  std::shared_ptr<autobahn::wamp_tcp_transport> transport_;
  std::shared_ptr<autobahn::wamp_session> session_;
};

class result_lines : public Catch::TestEventListenerBase {
 public:
  using TestEventListenerBase::TestEventListenerBase;
  void testCaseEnded(const Catch::TestCaseStats& stats) override {
    const std::string& name = stats.testInfo.name;
    const std::string prefix = "autobahn-cpp: ";
    if (name.rfind(prefix, 0) != 0) return;
    std::printf("RESULT peer=autobahn-cpp feature=%s serializer=msgpack transport=rawsocket status=%s\n",
                name.substr(prefix.size()).c_str(), stats.totals.assertions.allOk() ? "pass" : "fail");
    std::fflush(stdout);
  }
};
CATCH_REGISTER_LISTENER(result_lines)

}  // namespace

TEST_CASE("autobahn-cpp: join_anonymous", "[interop]") {
  peer p;
  CHECK(p.session_id > 0);
}

TEST_CASE("autobahn-cpp: call", "[interop]") {
  peer callee;
  peer caller;
  peer::await(callee.on_io([&] {
    return callee.session().provide("com.example.add", [](autobahn::wamp_invocation invocation) {
      invocation->result(std::make_tuple(invocation->argument<int>(0) + invocation->argument<int>(1)));
    });
  }));
  auto result = peer::await(caller.on_io([&] {
    return caller.session().call("com.example.add", std::make_tuple(2, 3));
  }));
  CHECK(result.argument<int>(0) == 5);
  // an unknown procedure: the router's ERROR
  auto missing = caller.on_io([&] { return caller.session().call("com.example.missing", std::make_tuple()); });
  REQUIRE(missing.wait_for(boost::chrono::seconds(10)) == boost::future_status::ready);
  CHECK(missing.has_exception());
}

TEST_CASE("autobahn-cpp: publish_subscribe", "[interop]") {
  peer sub;
  peer pub;
  std::promise<std::string> got;
  auto event = got.get_future();
  peer::await(sub.on_io([&] {
    return sub.session().subscribe("com.example.topic", [&](const autobahn::wamp_event& e) {
      got.set_value(e.argument<std::string>(0));
    });
  }));
  peer::await(pub.on_io([&] {
    return pub.session().publish("com.example.topic", std::make_tuple(std::string("hello")));
  }));
  REQUIRE(event.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK(event.get() == "hello");
}

// The `wamp` tool run as a subprocess against a router embedded in the test process, with a
// client of the project on the other side (the callee a `wamp call` reaches, the subscriber a
// `wamp publish` reaches, the publisher and caller for `wamp subscribe` / `wamp register`).
//
// No sleeps: the test waits for observable conditions (the router's broker and dealer state,
// the child's output, the child's exit), each bounded by a deadline.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "client/autobahn_sync.hpp"
#include "router/router.hpp"

namespace as = autobahn_sync;
namespace wamp = autobahn_sync::wamp;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

// The tool, relative to the test's runfiles directory (bazel's working directory for tests).
const char* const tool = "tools/wamp/wamp";
constexpr auto patience = 20s;  // a hang guard for every wait; never reached when all is well

// The environment of a child: ours, minus AUTOBAHN_* (so the host cannot change the
// results), plus `set`.
std::vector<std::string> child_environment(const std::map<std::string, std::string>& set) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    if (!std::string(*e).starts_with("AUTOBAHN_")) env.emplace_back(*e);
  }
  for (const auto& [name, value] : set) env.push_back(name + "=" + value);
  return env;
}

// The tool as a child process with stdout and stderr captured on separate pipes.
class tool_process {
 public:
  explicit tool_process(std::vector<std::string> args, const std::map<std::string, std::string>& env = {}) {
    int out[2], err[2];
    REQUIRE(pipe2(out, O_CLOEXEC) == 0);
    REQUIRE(pipe2(err, O_CLOEXEC) == 0);
    std::vector<std::string> env_strings = child_environment(env);
    std::vector<char*> argv{const_cast<char*>(tool)};
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_ = fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      dup2(out[1], 1);
      dup2(err[1], 2);
      execve(tool, argv.data(), envp.data());
      _exit(127);
    }
    close(out[1]);
    close(err[1]);
    out_fd_ = out[0];
    err_fd_ = err[0];
  }
  ~tool_process() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_fd_ >= 0) close(out_fd_);
    if (err_fd_ >= 0) close(err_fd_);
  }
  tool_process(const tool_process&) = delete;
  tool_process& operator=(const tool_process&) = delete;

  /// The next line of stdout (without "\n"), or nullopt at end of file or after `timeout`.
  std::optional<std::string> stdout_line(std::chrono::milliseconds timeout = patience) {
    const auto deadline = clock_type::now() + timeout;
    for (;;) {
      if (const auto newline = out_.find('\n'); newline != std::string::npos) {
        std::string line = out_.substr(0, newline);
        out_.erase(0, newline + 1);
        return line;
      }
      if (out_fd_ < 0 || !read_some(deadline)) return std::nullopt;
    }
  }

  void signal(int sig) { REQUIRE(kill(pid_, sig) == 0); }

  /// Reads both outputs to their end and returns the exit code (-1 when killed, or still
  /// running at the deadline).
  int finish(std::chrono::milliseconds timeout = patience) {
    const auto deadline = clock_type::now() + timeout;
    while ((out_fd_ >= 0 || err_fd_ >= 0) && read_some(deadline)) {
    }
    if (out_fd_ >= 0 || err_fd_ >= 0) return -1;  // the caller's CHECK reports it
    int status = 0;
    REQUIRE(waitpid(pid_, &status, 0) == pid_);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  /// Everything stdout and stderr said (complete after finish()).
  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }

 private:
  // Reads what either pipe has; false at the deadline.
  bool read_some(clock_type::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
    if (left <= 0ms) return false;
    pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
    const int ready = poll(fds, 2, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) return true;
    if (ready <= 0) return false;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      int& fd = i == 0 ? out_fd_ : err_fd_;
      char buffer[4096];
      const ssize_t n = read(fd, buffer, sizeof buffer);
      if (n > 0) {
        (i == 0 ? out_ : err_).append(buffer, static_cast<std::size_t>(n));
      } else {
        close(fd);
        fd = -1;
      }
    }
    return true;
  }

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string out_, err_;
};

// Runs the tool to completion.
struct tool_result {
  int exit_code;
  std::string out, err;
};
tool_result run_tool(std::vector<std::string> args, const std::map<std::string, std::string>& env = {}) {
  tool_process p(std::move(args), env);
  const int code = p.finish();
  return {code, p.out(), p.err()};
}

// A router on an ephemeral WebSocket port with the open realms realm1 and other.
struct embedded_router {
  as::router::router router;
  std::string url;

  embedded_router() {
    router.add_realm({.name = "realm1"});
    router.add_realm({.name = "other"});
    url = "ws://127.0.0.1:" + std::to_string(router.listen_websocket("127.0.0.1", 0, "/ws")) + "/ws";
  }

  // Subscribers of an exact subscription on realm1, as the broker sees them.
  std::size_t subscribers(const std::string& topic) {
    return router.with_core([&](as::router::router_core& core) -> std::size_t {
      const auto* sub = core.find_realm("realm1")->the_broker().lookup(topic, wamp::match_policy::exact);
      return sub ? sub->subscribers.size() : 0;
    });
  }
  bool registered(const std::string& procedure, wamp::match_policy match = wamp::match_policy::exact) {
    return router.with_core([&](as::router::router_core& core) {
      return core.find_realm("realm1")->the_dealer().lookup(procedure, match) != nullptr;
    });
  }

  // Polls `condition` until it holds or the deadline passes (the child joins on its own time).
  static bool eventually(const std::function<bool()>& condition) {
    const auto deadline = clock_type::now() + patience;
    while (!condition()) {
      if (clock_type::now() > deadline) return false;
      std::this_thread::yield();
    }
    return true;
  }
};

// Events a test client received, waited for with a deadline.
struct event_log {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::pair<wamp::list, wamp::dict>> events;

  as::event_handler handler() {
    return [this](const wamp::list& args, const wamp::dict& kwargs, const as::event_details&) {
      std::lock_guard lock(mutex);
      events.emplace_back(args, kwargs);
      changed.notify_all();
    };
  }
  bool wait_for(std::size_t n) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, patience, [&] { return events.size() >= n; });
  }
};

}  // namespace

TEST_CASE("wamp call sends JSON-looking arguments as JSON and others as strings", "[wamp_cli]") {
  embedded_router r;
  as::AutobahnSync callee;
  callee.register_procedure("com.test.echo", [](const wamp::list& args, const wamp::dict& kwargs,
                                                const as::invocation_details&) {
    return as::call_result{args, kwargs};
  });
  callee.register_procedure("com.test.add", [](const wamp::list& args, const wamp::dict&,
                                               const as::invocation_details&) {
    return as::call_result{{args.at(0).get<std::int64_t>() + args.at(1).get<std::int64_t>()}};
  });
  callee.run(r.url, "realm1");

  SECTION("integers are added by the callee") {
    const auto result = run_tool({"call", "--url", r.url, "com.test.add", "1", "2"});
    CHECK(result.err == "");
    CHECK(result.exit_code == 0);
    CHECK(result.out == "{\"args\":[3],\"kwargs\":{}}\n");
  }
  SECTION("strings, JSON values and keyword arguments arrive typed") {
    const auto result = run_tool({"call", "com.test.echo", "hello", "2.5", "[1,{\"a\":null}]", "\"7\"", "-3",
                                  "--kw", "name=world", "--kw=flag=true", "--url=" + r.url, "--", "--not-an-option"});
    CHECK(result.err == "");
    CHECK(result.exit_code == 0);
    const auto line = wamp::value::parse(result.out);
    CHECK(line["args"] == wamp::value::parse(R"(["hello", 2.5, [1, {"a": null}], "7", -3, "--not-an-option"])"));
    CHECK(line["kwargs"] == wamp::value::parse(R"({"name": "world", "flag": true})"));
  }
  SECTION("over MessagePack too") {
    const auto result = run_tool({"call", "--url", r.url, "--serializer", "msgpack", "com.test.echo", "x", "1"});
    CHECK(result.exit_code == 0);
    CHECK(result.out == "{\"args\":[\"x\",1],\"kwargs\":{}}\n");
  }
  callee.stop();
}

TEST_CASE("wamp joins with --authid and --ticket or --secret (wampcra, salted too)", "[wamp_cli]") {
  embedded_router r;
  as::router::realm_config secure{.name = "secure"};
  secure.allow_anonymous = false;
  secure.users.push_back({.authid = "tim", .role = "user", .method = "ticket", .secret = "t1cket"});
  secure.users.push_back({.authid = "cara", .role = "user", .method = "wampcra", .secret = "s3cret"});
  secure.users.push_back({.authid = "sally", .role = "user", .method = "wampcra", .secret = "pepper",
                          .salt = "salt123", .iterations = 100, .keylen = 32});
  r.router.add_realm(secure);
  auto whoami = [&](std::vector<std::string> auth) {
    std::vector<std::string> args{"call", "--url", r.url, "--realm", "secure", "wamp.session.get"};
    args.insert(args.end(), auth.begin(), auth.end());
    return run_tool(args);
  };
  // wamp.session.get without an id is refused, but only after the join: exit 4 proves the
  // join worked; a refused join is exit 3.
  CHECK(whoami({"--authid", "tim", "--ticket", "t1cket"}).exit_code == 4);
  CHECK(whoami({"--authid", "cara", "--secret", "s3cret"}).exit_code == 4);
  CHECK(whoami({"--authid", "sally", "--secret", "pepper"}).exit_code == 4);
  const auto wrong = whoami({"--authid", "tim", "--ticket", "nope"});
  CHECK(wrong.exit_code == 3);
  CHECK(wrong.err.find("authentication_failed") != std::string::npos);
  CHECK(whoami({}).exit_code == 3);  // anonymous is not allowed on this realm
}

TEST_CASE("wamp call reports WAMP errors with exit code 4", "[wamp_cli]") {
  embedded_router r;
  SECTION("a procedure nobody registered") {
    const auto result = run_tool({"call", "--url", r.url, "com.test.missing"});
    CHECK(result.exit_code == 4);
    CHECK(result.out == "");
    CHECK(result.err.starts_with("wamp call: wamp.error.no_such_procedure "));
    CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
  }
  SECTION("a callee's own error, with its args and kwargs") {
    as::AutobahnSync callee;
    callee.register_procedure("com.test.fail", [](const wamp::list&, const wamp::dict&,
                                                  const as::invocation_details&) -> as::call_result {
      throw as::ApplicationError("com.test.error.out_of_stock", {"apples"}, {{"left", 0}});
    });
    callee.run(r.url, "realm1");
    const auto result = run_tool({"call", "--url", r.url, "com.test.fail"});
    CHECK(result.exit_code == 4);
    CHECK(result.err == "wamp call: com.test.error.out_of_stock [\"apples\"] {\"left\":0}\n");
    callee.stop();
  }
}

TEST_CASE("wamp publish reaches a subscriber", "[wamp_cli]") {
  embedded_router r;
  as::AutobahnSync subscriber;
  event_log log;
  subscriber.subscribe("com.test.topic", log.handler());
  subscriber.run(r.url, "realm1");

  auto result = run_tool({"publish", "--url", r.url, "com.test.topic", "1", "hello", "--kw", "k=[true]"});
  CHECK(result.err == "");
  CHECK(result.exit_code == 0);
  CHECK(result.out == "");
  REQUIRE(log.wait_for(1));

  result = run_tool({"publish", "--url", r.url, "--acknowledge", "com.test.topic"});
  CHECK(result.exit_code == 0);
  CHECK(wamp::value::parse(result.out)["publication"].is_number_unsigned());
  REQUIRE(log.wait_for(2));

  std::lock_guard lock(log.mutex);
  CHECK(log.events[0].first == wamp::list{1, "hello"});
  CHECK(wamp::value(log.events[0].second) == wamp::value::parse(R"({"k": [true]})"));
  CHECK(log.events[1].first.empty());
  subscriber.stop();
}

TEST_CASE("wamp subscribe prints each event as a JSON line", "[wamp_cli]") {
  embedded_router r;
  as::AutobahnSync publisher;
  publisher.run(r.url, "realm1");

  SECTION("--count 2 exits after two events") {
    tool_process sub({"subscribe", "--url", r.url, "com.test.news", "--count", "2"});
    REQUIRE(embedded_router::eventually([&] { return r.subscribers("com.test.news") == 1; }));
    publisher.session().publish("com.test.news", {1}, {{"k", "v"}});
    publisher.session().publish("com.test.news", {"two"});
    CHECK(sub.stdout_line() == R"({"args":[1],"kwargs":{"k":"v"},"topic":"com.test.news"})");
    CHECK(sub.stdout_line() == R"({"args":["two"],"kwargs":{},"topic":"com.test.news"})");
    CHECK(sub.finish() == 0);
    CHECK(sub.out() == "");
    CHECK(sub.err() == "");
    CHECK(r.subscribers("com.test.news") == 0);  // it left
  }
  SECTION("prefix subscriptions print the concrete topic; SIGINT and SIGTERM end it cleanly") {
    const int sig = GENERATE(SIGINT, SIGTERM);
    tool_process sub({"subscribe", "--url", r.url, "com.test", "--match", "prefix"});
    REQUIRE(embedded_router::eventually([&] {
      return r.router.with_core([](as::router::router_core& core) {
        return core.find_realm("realm1")->the_broker().lookup("com.test", wamp::match_policy::prefix) != nullptr;
      });
    }));
    publisher.session().publish("com.test.a.b", {});
    CHECK(sub.stdout_line() == R"({"args":[],"kwargs":{},"topic":"com.test.a.b"})");
    sub.signal(sig);
    CHECK(sub.finish() == 0);
    CHECK(sub.err() == "");
  }
  publisher.stop();
}

TEST_CASE("wamp subscribe exits 1 when the router goes away", "[wamp_cli]") {
  embedded_router r;
  tool_process sub({"subscribe", "--url", r.url, "com.test.news"});
  REQUIRE(embedded_router::eventually([&] { return r.subscribers("com.test.news") == 1; }));
  r.router.stop();
  CHECK(sub.finish() == 1);
  CHECK(sub.err().starts_with("wamp subscribe: session lost: "));
}

TEST_CASE("wamp register answers calls by running a command", "[wamp_cli]") {
  embedded_router r;
  as::AutobahnSync caller;
  caller.run(r.url, "realm1");

  SECTION("/bin/echo with the invocation's arguments appended") {
    tool_process reg({"register", "--url", r.url, "com.test.echo", "--count", "2", "--", "/bin/echo", "said:"});
    REQUIRE(embedded_router::eventually([&] { return r.registered("com.test.echo"); }));
    CHECK(caller.session().call("com.test.echo", {1, "two words", wamp::list{3}}).args == wamp::list{"said: 1 two words [3]"});
    CHECK(caller.session().call("com.test.echo").args == wamp::list{"said:"});
    CHECK(reg.finish() == 0);  // after the second answer
    CHECK(reg.err() == "");
    CHECK_FALSE(r.registered("com.test.echo"));
  }
  SECTION("a failing command answers com.wamp_cli.command_failed with its exit code and stderr") {
    tool_process reg({"register", "--url", r.url, "com.test.fail", "--", "/bin/sh", "-c",
                      "echo \"no $0\" >&2; exit 3"});
    REQUIRE(embedded_router::eventually([&] { return r.registered("com.test.fail"); }));
    try {
      caller.session().call("com.test.fail", {"luck"});
      FAIL("the call should have failed");
    } catch (const as::ApplicationError& e) {
      CHECK(e.error() == "com.wamp_cli.command_failed");
      CHECK(e.args() == wamp::list{3, "no luck\n"});
    }
    reg.signal(SIGTERM);
    CHECK(reg.finish() == 0);
  }
  SECTION("a command that does not exist answers exit code 127") {
    tool_process reg({"register", "--url", r.url, "com.test", "--match", "prefix", "--",
                      "/nonexistent/command"});
    REQUIRE(embedded_router::eventually([&] { return r.registered("com.test", wamp::match_policy::prefix); }));
    try {
      caller.session().call("com.test.anything");
      FAIL("the call should have failed");
    } catch (const as::ApplicationError& e) {
      CHECK(e.error() == "com.wamp_cli.command_failed");
      REQUIRE(e.args().size() == 2);
      CHECK(e.args()[0] == 127);
    }
    reg.signal(SIGINT);
    CHECK(reg.finish() == 0);
  }
  caller.stop();
}

TEST_CASE("wamp reads the router and realm from AUTOBAHN_ROUTER and AUTOBAHN_REALM", "[wamp_cli]") {
  embedded_router r;
  as::AutobahnSync callee;
  callee.register_procedure("com.test.where", [](const wamp::list&, const wamp::dict&,
                                                 const as::invocation_details&) {
    return as::call_result{{"other"}};
  });
  callee.run(r.url, "other");

  auto result = run_tool({"call", "com.test.where"}, {{"AUTOBAHN_ROUTER", r.url}, {"AUTOBAHN_REALM", "other"}});
  CHECK(result.err == "");
  CHECK(result.exit_code == 0);
  CHECK(result.out == "{\"args\":[\"other\"],\"kwargs\":{}}\n");

  // Without AUTOBAHN_REALM: realm1, where nobody registered it.
  result = run_tool({"call", "com.test.where"}, {{"AUTOBAHN_ROUTER", r.url}});
  CHECK(result.exit_code == 4);
  // Flags win over the environment.
  result = run_tool({"call", "--realm", "other", "com.test.where"}, {{"AUTOBAHN_ROUTER", "ws://127.0.0.1:1/ws"}, {"AUTOBAHN_REALM", "realm1"}});
  CHECK(result.exit_code == 3);  // the URL still comes from the environment
  result = run_tool({"call", "--url", r.url, "--realm", "other", "com.test.where"},
                    {{"AUTOBAHN_ROUTER", "ws://127.0.0.1:1/ws"}, {"AUTOBAHN_REALM", "realm1"}});
  CHECK(result.exit_code == 0);
  callee.stop();
}

TEST_CASE("wamp cannot join: exit code 3 with one line (a malformed URL: 2)", "[wamp_cli]") {
  embedded_router r;
  SECTION("nobody listens") {
    // A port that was just free: bound by a router that is gone.
    std::string dead_url;
    {
      embedded_router gone;
      dead_url = gone.url;
    }
    const auto result = run_tool({"call", "--url", dead_url, "com.test.x"});
    CHECK(result.exit_code == 3);
    CHECK(result.err.starts_with("wamp call: "));
    CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
  }
  SECTION("not a URL: bad usage, with what is wrong with it") {
    const auto result = run_tool({"publish", "--url", "nonsense", "com.test.x"});
    CHECK(result.exit_code == 2);
    CHECK(result.err.starts_with("wamp publish: --url nonsense: "));
  }
  SECTION("no such realm") {
    const auto result = run_tool({"subscribe", "--url", r.url, "--realm", "nowhere", "com.test.x"});
    CHECK(result.exit_code == 3);
    CHECK(result.err.find("wamp.error.no_such_realm") != std::string::npos);
  }
}

TEST_CASE("wamp explains bad usage with exit code 2", "[wamp_cli]") {
  SECTION("help") {
    auto result = run_tool({"--help"});
    CHECK(result.exit_code == 0);
    for (const char* name : {"call", "publish", "subscribe", "register"}) {
      CHECK(result.out.find(std::string("  ") + name + " ") != std::string::npos);
    }
    for (const char* name : {"call", "publish", "subscribe", "register"}) {
      result = run_tool({name, "--help"});
      CHECK(result.exit_code == 0);
      CHECK(result.out.starts_with(std::string("usage: wamp ") + name));
      CHECK(result.out.find("--url URL") != std::string::npos);
      CHECK(result.out.find("exit codes:") != std::string::npos);
    }
  }
  struct bad_usage {
    std::vector<std::string> args;
    std::string message;
  };
  const auto bad = GENERATE(values<bad_usage>({
      {{}, "wamp: missing the subcommand"},
      {{"frobnicate"}, "wamp: unknown subcommand 'frobnicate'"},
      {{"call"}, "wamp call: missing the procedure URI"},
      {{"call", "x", "--kw", "novalue"}, "wamp call: --kw expects KEY=VALUE, not 'novalue'"},
      {{"call", "x", "--timeout", "soon"}, "wamp call: --timeout expects a positive integer, not 'soon'"},
      {{"call", "x", "--serializer", "xml"}, "wamp call: --serializer must be json or msgpack, not 'xml'"},
      {{"call", "x", "--url"}, "wamp call: --url needs a value"},
      {{"publish", "--bogus"}, "wamp publish: unknown option --bogus"},
      {{"publish", "t", "--acknowledge=yes"}, "wamp publish: --acknowledge takes no value"},
      {{"publish", "t", std::string(100, '[')}, "wamp publish: argument nests deeper than 64 levels"},
      {{"subscribe"}, "wamp subscribe: missing the topic URI"},
      {{"subscribe", "t", "--match", "fuzzy"}, "wamp subscribe: --match must be exact, prefix or wildcard, not 'fuzzy'"},
      {{"subscribe", "t", "--count", "0"}, "wamp subscribe: --count expects a positive integer, not '0'"},
      {{"register", "p"}, "wamp register: missing the command"},
      {{"register", "--", "/bin/echo"}, "wamp register: missing the procedure URI"},
  }));
  CAPTURE(bad.args);
  const auto result = run_tool(bad.args);
  CHECK(result.exit_code == 2);
  CHECK(result.out == "");
  CHECK(result.err.starts_with(bad.message));
  CHECK(result.err.find("usage: wamp") != std::string::npos);
}

TEST_CASE("wamp router serves `wamp call` until SIGTERM", "[wamp_cli]") {
  tool_process router({"router", "--ws", "127.0.0.1:0", "--realm", "realm1"});
  const auto listening = router.stdout_line();
  REQUIRE(listening);
  REQUIRE(listening->starts_with("listening ws://127.0.0.1:"));
  const std::string url = listening->substr(std::string("listening ").size());

  const auto count = run_tool({"call", "wamp.session.count", "--url", url, "--realm", "realm1"});
  CHECK(count.exit_code == 0);
  CHECK(count.err == "");
  CHECK(count.out.starts_with(R"({"args":[)"));

  router.signal(SIGTERM);
  CHECK(router.finish() == 0);
  CHECK(router.out() == "stopped\n");
  CHECK(router.err().find(" join session=") != std::string::npos);  // the router logged the caller
}

TEST_CASE("wamp router explains its options and refuses bad ones", "[wamp_cli]") {
  auto help = run_tool({"router", "--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("or: wamp router [options]") != std::string::npos);
  CHECK(help.out.find("--ws HOST:PORT") != std::string::npos);
  // Its own exit codes, not the client subcommands' (3 and 4 are about joining and answers).
  CHECK(help.out.find("Exit codes: 0 after a signal, 1 for a bad configuration, 2 for bad usage.") != std::string::npos);
  CHECK(help.out.find("cannot connect to the router") == std::string::npos);
  const auto bad = run_tool({"router", "--ws", "nonsense"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("--ws expects HOST:PORT") != std::string::npos);
}

TEST_CASE("wamp demo takes the tour and exits 0", "[wamp_cli]") {
  const auto demo = run_tool({"demo"});
  CHECK(demo.exit_code == 0);
  for (const char* step : {"embedded router up", "== RPC", "== PubSub", "1000 events received", "== Authentication",
                           "a wrong secret is refused", "== Fault injection", "done in"}) {
    CAPTURE(step);
    CHECK(demo.out.find(step) != std::string::npos);
  }
  CHECK(run_tool({"demo", "extra"}).exit_code == 2);
}

TEST_CASE("wamp bench without built benchmarks says how to build them, exit code 2", "[wamp_cli]") {
  const char* tmp = std::getenv("TEST_TMPDIR");
  REQUIRE(tmp);
  const auto result = run_tool({"bench", "--bench-dir", tmp});
  CHECK(result.exit_code == 2);
  CHECK(result.out == "");
  CHECK(result.err.find("bazel build -c opt --config=opt //bench/...") != std::string::npos);
}

namespace {

// A stand-in benchmark binary: a shell script that lists `name` and, run for it, prints
// Google Benchmark JSON whose p50 is the next of `p50s` (one per run, counted in a file
// beside the script), so that each round of `wamp bench --rounds` measures something else.
void write_fake_benchmark(const std::filesystem::path& path, const std::string& name, const std::string& label,
                          const std::vector<int>& p50s) {
  std::string values;
  for (int v : p50s) values += " " + std::to_string(v);
  std::ofstream script(path);
  script << "#!/bin/sh\n"
         << "case \"$*\" in *--benchmark_list_tests*) echo '" << name << "'; exit 0;; esac\n"
         << "n=$(cat \"$0.runs\" 2>/dev/null || echo 0); n=$((n + 1)); echo $n > \"$0.runs\"\n"
         << "set --" << values << "; shift $((n - 1)); p50=$1\n"
         << "echo '{\"benchmarks\": [{\"name\": \"" << name << "/real_time\", \"run_type\": \"iteration\", "
         << "\"real_time\": '$p50', \"time_unit\": \"us\", \"p50_us\": '$p50', \"p99_us\": '$((p50 * 2))', "
         << "\"label\": \"" << label << "\"}]}'\n";
  script.close();
  std::filesystem::permissions(path, std::filesystem::perms::owner_all);
}

}  // namespace

TEST_CASE("wamp bench --rounds prints each row's medians, with the median and range of the rounds' own ratios",
          "[wamp_cli]") {
  const char* tmp = std::getenv("TEST_TMPDIR");
  REQUIRE(tmp);
  const auto dir = std::filesystem::path(tmp) / "fake-bench";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  // Rounds: relay 10, 20, 30 us; call 25, 30, 90 us. The call's ratios are 2.5, 1.5, 3.0:
  // their median is 2.5, where the ratio of the medians (30 / 20) would be 1.5.
  write_fake_benchmark(dir / "tcp_baseline_bench", "BM_tcp_two_hop/16", "tcp/16B", {10, 20, 30});
  write_fake_benchmark(dir / "call_bench", "BM_call/1/2/16/0", "rawsocket/msgpack/16B", {25, 30, 90});
  const auto results = std::filesystem::path(tmp) / "fake-bench-results";
  std::filesystem::remove_all(results);

  const auto result = run_tool({"bench", "--bench-dir", dir.string(), "--rounds", "3", "--results", results.string()});
  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out.find("Medians of 3 rounds") == 0);
  CHECK(result.out.find("BM_tcp_two_hop/16 [tcp/16B]") != std::string::npos);
  const auto call_row = result.out.find("BM_call/1/2/16/0 [rawsocket/msgpack/16B]");
  REQUIRE(call_row != std::string::npos);
  const std::string call_line = result.out.substr(call_row, result.out.find('\n', call_row) - call_row);
  CHECK(call_line.find(" 30.0 ") != std::string::npos);  // median p50
  CHECK(call_line.find(" 60.0 ") != std::string::npos);  // median p99
  CHECK(call_line.find("2.50 (1.50-3.00)") != std::string::npos);
  CHECK(result.err.find("round 3/3 [2/2]") != std::string::npos);

  for (int round = 1; round <= 3; ++round) {
    CAPTURE(round);
    const auto round_dir = results / ("round-" + std::to_string(round));
    CHECK(std::filesystem::exists(round_dir / "table.txt"));
    CHECK(std::filesystem::exists(round_dir / "tcp_baseline_bench-1.json"));
    CHECK(std::filesystem::exists(round_dir / "call_bench-2.json"));
  }
  std::ifstream table(results / "table.txt");
  const std::string written((std::istreambuf_iterator<char>(table)), std::istreambuf_iterator<char>());
  CHECK(written == result.out);
  CHECK(std::filesystem::exists(results / "latency.svg"));
}

TEST_CASE("wamp bench refuses a --rounds that is not a whole number from 1 to 100, exit code 2", "[wamp_cli]") {
  for (const char* bad : {"0", "-1", "101", "2.5", "three", ""}) {
    CAPTURE(bad);
    const auto result = run_tool({"bench", "--rounds", bad});
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("--rounds takes a whole number from 1 to 100") != std::string::npos);
  }
}

// The standalone router run as a subprocess: it prints its listeners, serves a client, exits
// cleanly on SIGTERM, and refuses bad usage and bad configuration with clear messages.
#include <fcntl.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "wamp/transport/url.hpp"

namespace wamp = autobahn_sync::wamp;

namespace {

const char* binary = "tools/router/router";

// A child process with its stdout and stderr captured.
struct child {
  pid_t pid = -1;
  FILE* out = nullptr;

  explicit child(std::vector<std::string> args, bool keep_stderr = false) {
    int pipe_fds[2];
    REQUIRE(pipe(pipe_fds) == 0);
    pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      dup2(pipe_fds[1], 1);
      if (!keep_stderr) dup2(pipe_fds[1], 2);
      close(pipe_fds[0]);
      std::vector<char*> argv{const_cast<char*>(binary)};
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(binary, argv.data());
      _exit(127);
    }
    close(pipe_fds[1]);
    out = fdopen(pipe_fds[0], "r");
  }
  ~child() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    if (out) fclose(out);
  }
  std::string line() {
    char buffer[4096];
    return fgets(buffer, sizeof buffer, out) ? std::string(buffer) : std::string();
  }
  std::string rest() {
    std::string all;
    for (std::string l = line(); !l.empty(); l = line()) all += l;
    return all;
  }
  int wait() {
    int status = 0;
    waitpid(pid, &status, 0);
    pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
};

// Connects to `url` (a "listening ..." line's), says HELLO to `realm` and expects WELCOME.
void join_over(const std::string& url, const std::string& realm) {
  INFO(url);
  boost::asio::io_context io;
  wamp::connection_ptr conn;
  wamp::async_connect(io.get_executor(), url, {}, {}, [&](const boost::system::error_code& ec, wamp::connection_ptr c) {
    REQUIRE_FALSE(ec);
    conn = std::move(c);
  });
  io.run();
  io.restart();
  std::vector<wamp::message> got;
  conn->start({[&](wamp::message&& m) { got.push_back(std::move(m)); }, nullptr, nullptr});
  REQUIRE_FALSE(conn->send(wamp::hello{realm, {}}));
  for (int i = 0; i < 200 && got.empty(); ++i) io.run_one_for(std::chrono::milliseconds(50));
  REQUIRE(got.size() == 1);
  CHECK(std::holds_alternative<wamp::welcome>(got[0]));
  conn->close();
}

}  // namespace

TEST_CASE("the router binary serves clients and stops on SIGTERM", "[integration]") {
  std::vector<std::string> args{"--ws", "127.0.0.1:0", "--rs", "127.0.0.1:0", "--realm", "demo"};
  if (GENERATE(false, true)) {  // also while its thread polls before sleeping
    args.push_back("--busy-poll-us");
    args.push_back("300");
  }
  INFO(args.size());
  child router(args, true);
  const std::string ws = router.line();
  const std::string rs = router.line();
  REQUIRE(ws.rfind("listening ws://127.0.0.1:", 0) == 0);
  REQUIRE(rs.rfind("listening rs://127.0.0.1:", 0) == 0);
  for (const auto& line : {ws, rs}) join_over(line.substr(10, line.size() - 11), "demo");
  kill(router.pid, SIGTERM);
  CHECK(router.rest() == "stopped\n");
  CHECK(router.wait() == 0);
}

TEST_CASE("the router binary listens on a host name, and names a host it cannot resolve", "[integration]") {
  {
    child router({"--ws", "localhost:0", "--rs", "localhost:0"}, true);
    const std::string ws = router.line();
    const std::string rs = router.line();
    REQUIRE(ws.rfind("listening ws://localhost:", 0) == 0);
    REQUIRE(rs.rfind("listening rs://localhost:", 0) == 0);
    for (const auto& line : {ws, rs}) {
      join_over(line.substr(10, line.size() - 11), "realm1");
      // Bound to localhost's IPv4 address, where most clients look first.
      const auto port = std::stoi(line.substr(std::string("listening ws://localhost:").size()));
      boost::asio::io_context io;
      boost::asio::ip::tcp::socket s(io);
      boost::system::error_code ec;
      s.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)}, ec);
      CHECK_FALSE(ec);
    }
    kill(router.pid, SIGTERM);
    CHECK(router.rest() == "stopped\n");
    CHECK(router.wait() == 0);
  }
  {
    child router({"--rs", "[::1]:0", "--ws", "[::1]:0/v6"}, true);
    const std::string rs = router.line();
    const std::string ws = router.line();
    REQUIRE(rs.rfind("listening rs://[::1]:", 0) == 0);
    REQUIRE(ws.rfind("listening ws://[::1]:", 0) == 0);
    REQUIRE(ws.substr(ws.size() - 4) == "/v6\n");
    for (const auto& line : {ws, rs}) join_over(line.substr(10, line.size() - 11), "realm1");
    kill(router.pid, SIGTERM);
    CHECK(router.rest() == "stopped\n");
    CHECK(router.wait() == 0);
  }
  {
    // A label longer than DNS allows: the resolver refuses it without asking a name server.
    const std::string host = std::string(70, 'a') + ".example";
    child c({"--ws", host + ":0"});
    const auto said = c.rest();
    CHECK(said.find("router: cannot listen: cannot resolve the address to listen on '" + host + "'") != std::string::npos);
    CHECK(c.wait() == 1);
  }
}

TEST_CASE("the router binary explains bad usage and bad configuration", "[integration]") {
  {
    child c({"--help"});
    CHECK(c.rest().find("usage: router") != std::string::npos);
    CHECK(c.wait() == 0);
  }
  {
    child c({"--frobnicate"});
    CHECK(c.rest().find("unknown option --frobnicate") != std::string::npos);
    CHECK(c.wait() == 2);
  }
  {
    child c({"--busy-poll-us", "-5"});
    CHECK(c.rest().find("--busy-poll-us expects a number of microseconds") != std::string::npos);
    CHECK(c.wait() == 2);
  }
  {
    child c({"--ws", "nonsense"});
    CHECK(c.rest().find("--ws expects HOST:PORT") != std::string::npos);
    CHECK(c.wait() == 2);
  }
  for (const char* unbracketed : {"::1", "::1:8080", "[::1:8080", "a]:8080"}) {
    child c({"--ws", unbracketed});  // an IPv6 host goes in brackets: [::1]:8080
    CHECK(c.rest().find("--ws expects HOST:PORT[/PATH] (an IPv6 host in brackets: [::1]:8080)") != std::string::npos);
    CHECK(c.wait() == 2);
  }
  {
    child c({"--rs", "127.0.0.1:0/x"});  // RawSocket has no path
    CHECK(c.rest().find("--rs expects HOST:PORT") != std::string::npos);
    CHECK(c.wait() == 2);
  }
  for (const char* seed : {"99999999999999999999", "12x", "-1"}) {
    child c({"--seed", seed});
    CHECK(c.rest().find("--seed expects a number from 0 to 18446744073709551615") != std::string::npos);
    CHECK(c.wait() == 2);
  }
  {
    child c({"--realm", ""});
    CHECK(c.rest().find("--realm  is not a valid URI") != std::string::npos);
    CHECK(c.wait() == 2);
  }
  {
    const std::string path = std::string(std::getenv("TEST_TMPDIR") ? std::getenv("TEST_TMPDIR") : "/tmp") + "/bad.json";
    std::ofstream(path) << R"({"realms": [{"name": "r", "roles": [{"name": "x", "permissions": [{"uri": "a", "match": "fuzzy"}]}]}]})";
    child c({"--config", path});
    CHECK(c.rest().find("match: must be exact, prefix or wildcard") != std::string::npos);
    CHECK(c.wait() == 1);
  }
}

TEST_CASE("the router binary runs a Crossbar config: --cbdir and --crossbar-config", "[integration][crossbar]") {
  const std::string dir = std::string(std::getenv("TEST_TMPDIR") ? std::getenv("TEST_TMPDIR") : "/tmp") + "/cbdir";
  REQUIRE((mkdir(dir.c_str(), 0755) == 0 || errno == EEXIST));
  std::ofstream(dir + "/config.json") << R"({"version": 2, "controller": {}, "workers": [{"type": "router",
    "options": {"pythonpath": [".."]},
    "realms": [{"name": "realm1", "roles": [{"name": "anonymous", "permissions": [
      {"uri": "", "match": "prefix", "allow": {"call": true, "register": true, "publish": true, "subscribe": true}}]}]}],
    "transports": [
      {"type": "web", "endpoint": {"type": "tcp", "interface": "127.0.0.1", "port": 0},
       "paths": {"/": {"type": "static", "directory": ".."}, "ws": {"type": "websocket"}}},
      {"type": "rawsocket", "endpoint": {"type": "tcp", "interface": "127.0.0.1", "port": 0}}]}]})";
  const bool by_dir = GENERATE(true, false);
  child router(by_dir ? std::vector<std::string>{"--cbdir", dir}
                      : std::vector<std::string>{"--crossbar-config", dir + "/config.json"});
  // Ignored keys are logged (stderr, merged here) before the listeners start.
  std::vector<std::string> lines;
  for (std::string l = router.line(); !l.empty() && l.rfind("listening rs://", 0) != 0; l = router.line())
    lines.push_back(l);
  REQUIRE(lines.size() == 4);
  auto logged = [&](const std::string& key) {
    for (std::size_t i = 0; i < 3; ++i)
      if (lines[i].find("config.json: crossbar config: ignored " + key + " ") != std::string::npos) return true;
    return false;
  };
  CHECK(logged("controller"));
  CHECK(logged("workers[0].options.pythonpath"));
  CHECK(logged("workers[0].transports[0].paths./"));
  CHECK(lines[3].rfind("listening ws://127.0.0.1:", 0) == 0);
  CHECK(lines[3].find("/ws\n") != std::string::npos);
  kill(router.pid, SIGTERM);
  CHECK(router.rest() == "stopped\n");
  CHECK(router.wait() == 0);
}

TEST_CASE("the router binary refuses what a Crossbar config asks and it cannot do", "[integration][crossbar]") {
  const std::string path = std::string(std::getenv("TEST_TMPDIR") ? std::getenv("TEST_TMPDIR") : "/tmp") + "/crossbar.json";
  std::ofstream(path) << R"({"version": 2, "workers": [{"type": "router", "realms": [],
    "components": [{"type": "class", "classname": "backend.Backend", "realm": "realm1"}]}]})";
  {
    child c({"--crossbar-config", path});
    CHECK(c.rest().find("workers[0].components: this router cannot run components") != std::string::npos);
    CHECK(c.wait() == 1);
  }
  for (const char* serves_nothing : {R"({"version": 2, "workers": []})",
                                     R"({"version": 2, "workers": [{"type": "router", "realms": [{"name": "realm1"}],
                                        "transports": [{"type": "web", "endpoint": {"type": "tcp", "port": 0},
                                                        "paths": {"/": {"type": "static", "directory": "."}}}]}]})"}) {
    // Not an open realm1 on port 8080 instead.
    const std::string nothing = path + ".nothing.json";
    std::ofstream(nothing) << serves_nothing;
    child c({"--crossbar-config", nothing});
    CHECK(c.rest().find("the Crossbar config defines no ") != std::string::npos);
    CHECK(c.wait() == 1);
  }
  {
    child c({"--cbdir", "/nonexistent"});
    CHECK(c.rest().find("cannot read /nonexistent/config.json") != std::string::npos);
    CHECK(c.wait() == 1);
  }
  {
    const std::string own_format = path + ".own.json";
    std::ofstream(own_format) << "{}";
    child c({"--config", own_format, "--crossbar-config", path});
    CHECK(c.rest().find("only one of --config, --cbdir and --crossbar-config") != std::string::npos);
    CHECK(c.wait() == 2);
  }
}

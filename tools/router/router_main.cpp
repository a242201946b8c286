#include "tools/router/router_main.hpp"

#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "router/crossbar_config.hpp"
#include "router/router.hpp"

namespace autobahn_sync::tools {

namespace router = autobahn_sync::router;
namespace wamp = autobahn_sync::wamp;

namespace {

const std::string usage(router_usage);

// Thrown by an option without its value, once the message is printed: exit code 2.
struct missing_value {};
enum class config_format { router, crossbar };

// Reads a configuration file; on failure prints why and returns nullopt.
std::optional<router::router_config> read_config(const std::string& path, config_format format) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "router: cannot read %s\n", path.c_str());
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  try {
    const auto json = wamp::value::parse(text.str());
    if (format == config_format::router) return router::router_config_from_json(json);
    return router::router_config_from_crossbar(
        json, [&](const std::string& line) { std::fprintf(stderr, "router: %s: %s\n", path.c_str(), line.c_str()); });
  } catch (const wamp::value::parse_error& e) {
    std::fprintf(stderr, "router: %s is not valid JSON: %s\n", path.c_str(), e.what());
  } catch (const router::config_error& e) {
    std::fprintf(stderr, "router: %s: %s\n", path.c_str(), e.what());
  }
  return std::nullopt;
}

// HOST:PORT[/PATH]; an IPv6 host in brackets ("[::1]:8080"), so that "::1" alone is an error
// rather than host ":" and port 1.
bool split_host_port(const std::string& text, router::listener_config& l) {
  const auto slash = text.find('/');
  const std::string host_port = text.substr(0, slash);
  if (slash != std::string::npos) l.path = text.substr(slash);
  const auto colon = host_port.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  l.host = host_port.substr(0, colon);
  const bool bracketed = l.host.size() > 2 && l.host.front() == '[' && l.host.back() == ']';
  if (!bracketed && l.host.find_first_of(":[]") != std::string::npos) return false;
  const std::string rest = host_port.substr(colon + 1);
  if (rest.empty() || rest.size() > 5 || rest.find_first_not_of("0123456789") != std::string::npos) return false;
  const unsigned long port = std::stoul(rest);
  if (port > 65535) return false;
  l.port = static_cast<unsigned short>(port);
  return true;
}

}  // namespace

int run_router(std::span<const std::string> args) {
  const int argc = static_cast<int>(args.size());
  router::router_config config;
  std::vector<std::string> realms;
  std::vector<router::listener_config> listeners;
  bool config_read = false;
  bool crossbar_read = false;
  std::chrono::microseconds busy_poll{0};
  try {
    for (int i = 0; i < argc; ++i) {
      const std::string arg = args[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) {
          std::fprintf(stderr, "router: %s needs a value\n%s", arg.c_str(), usage.c_str());
          throw missing_value{};
        }
        return args[++i];
      };
      if (arg == "--help" || arg == "-h") {
        std::fputs(usage.c_str(), stdout);
        return 0;
      } else if (arg == "--config" || arg == "--cbdir" || arg == "--crossbar-config") {
        if (config_read) {
          std::fprintf(stderr, "router: give only one of --config, --cbdir and --crossbar-config\n");
          return 2;
        }
        config_read = true;
        crossbar_read = arg != "--config";
        std::string path = value();
        if (arg == "--cbdir") path += "/config.json";
        auto read = read_config(path, arg == "--config" ? config_format::router : config_format::crossbar);
        if (!read) return 1;
        read->seed = read->seed ? read->seed : config.seed;  // a --seed given earlier
        config = std::move(*read);
      } else if (arg == "--realm") {
        realms.push_back(value());
      } else if (arg == "--ws" || arg == "--rs") {
        router::listener_config l;
        l.type = arg == "--ws" ? "websocket" : "rawsocket";
        const std::string v = value();
        // RawSocket has no path: "--rs host:1/x" is a mistake, not "--rs host:1".
        if (!split_host_port(v, l) || (l.type == "rawsocket" && v.find('/') != std::string::npos)) {
          std::fprintf(stderr, "router: %s expects HOST:PORT%s (an IPv6 host in brackets: [::1]:8080)\n",
                       arg.c_str(), arg == "--ws" ? "[/PATH]" : "");
          return 2;
        }
        listeners.push_back(l);
      } else if (arg == "--seed") {
        const std::string v = value();
        std::uint64_t seed = 0;
        const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), seed);
        if (v.empty() || ec != std::errc() || end != v.data() + v.size()) {
          std::fprintf(stderr, "router: --seed expects a number from 0 to %llu\n",
                       static_cast<unsigned long long>(std::numeric_limits<std::uint64_t>::max()));
          return 2;
        }
        config.seed = seed;
      } else if (arg == "--busy-poll-us") {
        const std::string v = value();
        if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos) {
          std::fprintf(stderr, "router: --busy-poll-us expects a number of microseconds (at most 9 digits)\n");
          return 2;
        }
        busy_poll = std::chrono::microseconds(std::stol(v));
      } else {
        std::fprintf(stderr, "router: unknown option %s\n%s", arg.c_str(), usage.c_str());
        return 2;
      }
    }
  } catch (const missing_value&) {
    return 2;
  }
  for (const auto& name : realms) {
    if (!wamp::is_valid_uri(name)) {
      std::fprintf(stderr, "router: --realm %s is not a valid URI\n", name.c_str());
      return 2;
    }
    router::realm_config r;
    r.name = name;
    config.realms.push_back(r);
  }
  for (auto& l : listeners) config.listeners.push_back(l);
  // A Crossbar config that serves nothing must not become an open realm1 on port 8080.
  if (crossbar_read && (config.realms.empty() || config.listeners.empty())) {
    std::fprintf(stderr, "router: the Crossbar config defines no %s the router can serve\n",
                 config.realms.empty() ? "realm (in a router worker)" : "WebSocket or RawSocket transport");
    return 1;
  }
  if (config.realms.empty()) config.realms.push_back(router::realm_config{"realm1"});
  if (config.listeners.empty()) config.listeners.push_back({"websocket", "127.0.0.1", 8080, "/ws"});

  router::router_options options;
  options.busy_poll = busy_poll;
  options.core.seed = config.seed;
  options.core.log = [](const std::string& line) {
    const auto now = std::chrono::system_clock::now();
    const std::time_t t = std::chrono::system_clock::to_time_t(now);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    std::fprintf(stderr, "%s %s\n", stamp, line.c_str());
  };
  const auto configured_listeners = config.listeners;
  try {
    // Catch the signals before announcing the listeners: whoever reads "listening" may
    // send SIGTERM at once.
    boost::asio::io_context signals_io;
    boost::asio::signal_set signals(signals_io, SIGINT, SIGTERM);
    signals.async_wait([](const boost::system::error_code&, int) {});
    router::router r(std::move(config), options);
    for (const auto& l : configured_listeners) {
      const auto port = r.listen(l);
      // An IPv6 address is written in brackets in a URL.
      const bool bracket = l.host.find(':') != std::string::npos && l.host.front() != '[';
      const std::string host = bracket ? "[" + l.host + "]" : l.host;
      if (l.type == "rawsocket") {
        std::printf("listening rs://%s:%u\n", host.c_str(), port);
      } else if (l.paths.empty()) {
        std::printf("listening ws://%s:%u%s\n", host.c_str(), port, l.path.c_str());
      } else {
        for (const auto& p : l.paths) std::printf("listening ws://%s:%u%s\n", host.c_str(), port, p.path.c_str());
      }
    }
    std::fflush(stdout);
    signals_io.run();
    r.stop();
    std::printf("stopped\n");
  } catch (const boost::system::system_error& e) {
    std::fprintf(stderr, "router: cannot listen: %s\n", e.what());
    return 1;
  } catch (const router::config_error& e) {
    std::fprintf(stderr, "router: %s\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace autobahn_sync::tools

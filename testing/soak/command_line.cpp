// The soak tool's command line: flags into soak_options, bad values refused.
#include <stdexcept>
#include <string>
#include <vector>

#include "testing/soak/soak.hpp"

namespace autobahn_sync::testing::soak {

std::string usage() {
  return "usage: soak [--sessions N] [--calls N] [--events N] [--transports rawsocket,websocket]\n"
         "            [--serializer msgpack|json] [--max-seconds N] [--subscribers-per-topic N]\n"
         "            [--drivers N] [--io-threads N] [--rss-tolerance-percent P]\n"
         "            [--rss-tolerance-mib M]\n"
         "Runs the embedded router and N clients on 127.0.0.1; exits 1 on any lost, duplicated\n"
         "or misrouted message, on a timeout, or when RSS grew past the tolerance after warm-up.\n";
}

command_line parse_command_line(const std::vector<std::string>& args) {
  command_line c;
  auto& o = c.options;
  auto number = [](const std::string& flag, const std::string& text) -> std::uint64_t {
    std::size_t used = 0;
    std::uint64_t v = 0;
    try {
      v = std::stoull(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != text.size() || text.empty() || text[0] == '-') {
      throw std::invalid_argument(flag + " needs a non-negative integer, not '" + text + "'");
    }
    return v;
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    std::string value;
    if (flag == "--help" || flag == "-h") {
      c.help = true;
      continue;
    }
    if (auto eq = flag.find('='); eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    } else {
      if (i + 1 >= args.size()) throw std::invalid_argument(flag + " needs a value");
      value = args[++i];
    }
    if (flag == "--sessions") {
      o.sessions = static_cast<int>(number(flag, value));
    } else if (flag == "--calls") {
      o.calls = number(flag, value);
    } else if (flag == "--events") {
      o.events = number(flag, value);
    } else if (flag == "--max-seconds") {
      o.max_duration = std::chrono::seconds(number(flag, value));
    } else if (flag == "--subscribers-per-topic") {
      o.subscribers_per_topic = static_cast<int>(number(flag, value));
    } else if (flag == "--drivers") {
      o.driver_threads = static_cast<int>(number(flag, value));
    } else if (flag == "--io-threads") {
      o.client_io_threads = static_cast<int>(number(flag, value));
    } else if (flag == "--memory-tolerance-percent") {
      o.memory_tolerance_fraction = number(flag, value) / 100.0;
    } else if (flag == "--memory-tolerance-mib") {
      o.memory_tolerance_floor_bytes = number(flag, value) << 20;
    } else if (flag == "--serializer") {
      if (value == "msgpack") {
        o.serializer = wamp::serializer_kind::msgpack;
      } else if (value == "json") {
        o.serializer = wamp::serializer_kind::json;
      } else {
        throw std::invalid_argument("--serializer is msgpack or json, not '" + value + "'");
      }
    } else if (flag == "--transports") {
      o.transports.clear();
      std::istringstream list(value);
      for (std::string name; std::getline(list, name, ',');) {
        if (name == "rawsocket") {
          o.transports.push_back(transport_kind::rawsocket);
        } else if (name == "websocket") {
          o.transports.push_back(transport_kind::websocket);
        } else {
          throw std::invalid_argument("--transports lists rawsocket and websocket, not '" +
                                      name + "'");
        }
      }
      if (o.transports.empty()) throw std::invalid_argument("--transports is empty");
    } else {
      throw std::invalid_argument("unknown flag " + flag);
    }
  }
  return c;
}

}  // namespace autobahn_sync::testing::soak

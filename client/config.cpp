#include "client/config.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <stdexcept>

#include "client/autobahn_sync.hpp"

namespace autobahn_sync {
namespace {

// A typo ("ture") must not quietly mean false.
bool flag(std::string text, const char* name) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (text == "true" || text == "1" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "0" || text == "no" || text == "off") return false;
  throw std::invalid_argument(std::string(name) + " must be true/1/yes/on or false/0/no/off, not \"" + text + "\"");
}

}  // namespace

env_lookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (!value) return std::nullopt;
    return std::string(value);
  };
}

client_config resolve_config(const config_overrides& explicit_args,
                             const std::map<std::string, std::string>& app_config,
                             const env_lookup& env) {
  // The first setting found, with the name it was found under: each name in the app map,
  // then each in the environment (a layer wins over the one below it, whichever name it uses).
  struct setting {
    std::string name;
    std::string value;
  };
  auto lookup = [&](std::initializer_list<const char*> names) -> std::optional<setting> {
    for (const char* name : names) {
      if (auto it = app_config.find(name); it != app_config.end() && !it->second.empty()) {
        return setting{name, it->second};
      }
    }
    if (env) {
      for (const char* name : names) {
        if (auto v = env(name); v && !v->empty()) return setting{name, *v};
      }
    }
    return std::nullopt;
  };
  client_config config;
  if (explicit_args.router && !explicit_args.router->empty()) {
    config.router = *explicit_args.router;
  } else if (auto v = lookup({"AUTOBAHN_ROUTER"})) {
    config.router = v->value;
  }
  if (explicit_args.realm && !explicit_args.realm->empty()) {
    config.realm = *explicit_args.realm;
  } else if (auto v = lookup({"AUTOBAHN_REALM"})) {
    config.realm = v->value;
  }
  if (explicit_args.in_event_loop) {
    config.in_event_loop = *explicit_args.in_event_loop;
  } else if (auto v = lookup({"AUTOBAHN_IN_EVENT_LOOP", "AUTOBAHN_IN_TWISTED"})) {
    // AUTOBAHN_IN_TWISTED: the Python extension's name for it, so that a ported configuration
    // keeps its meaning; the new name wins within one layer.
    config.in_event_loop = flag(v->value, v->name.c_str());
  }
  return config;
}

void start(AutobahnSync& app, const client_config& config, boost::asio::io_context* io) {
  if (config.in_event_loop) {
    if (!io) throw std::invalid_argument("in_event_loop needs the application's io_context");
    app.run_in_io_context(*io, config.router, config.realm);
  } else {
    app.run(config.router, config.realm);
  }
}

}  // namespace autobahn_sync

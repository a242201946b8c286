#include "client/config.hpp"

#include <catch2/catch.hpp>

using namespace autobahn_sync;

namespace {

env_lookup fake_env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace

TEST_CASE("defaults apply when nothing is configured", "[unit][config]") {
  auto c = resolve_config({}, {}, fake_env({}));
  CHECK(c.router == "ws://localhost:8080/ws");
  CHECK(c.realm == "realm1");
  CHECK_FALSE(c.in_event_loop);
}

TEST_CASE("the environment overrides the defaults", "[unit][config]") {
  auto c = resolve_config({}, {},
                          fake_env({{"AUTOBAHN_ROUTER", "rs://10.0.0.1:8081"},
                                    {"AUTOBAHN_REALM", "env_realm"},
                                    {"AUTOBAHN_IN_EVENT_LOOP", "TRUE"}}));
  CHECK(c.router == "rs://10.0.0.1:8081");
  CHECK(c.realm == "env_realm");
  CHECK(c.in_event_loop);
}

TEST_CASE("the app's config map overrides the environment", "[unit][config]") {
  auto c = resolve_config({}, {{"AUTOBAHN_REALM", "map_realm"}, {"AUTOBAHN_IN_EVENT_LOOP", "no"}},
                          fake_env({{"AUTOBAHN_REALM", "env_realm"},
                                    {"AUTOBAHN_ROUTER", "ws://env/ws"},
                                    {"AUTOBAHN_IN_EVENT_LOOP", "1"}}));
  CHECK(c.realm == "map_realm");
  CHECK(c.router == "ws://env/ws");
  CHECK_FALSE(c.in_event_loop);
}

TEST_CASE("explicit arguments override everything", "[unit][config]") {
  auto c = resolve_config({"ws://explicit/ws", "explicit", false},
                          {{"AUTOBAHN_REALM", "map_realm"}, {"AUTOBAHN_ROUTER", "ws://map/ws"}},
                          fake_env({{"AUTOBAHN_IN_EVENT_LOOP", "true"}}));
  CHECK(c.router == "ws://explicit/ws");
  CHECK(c.realm == "explicit");
  CHECK_FALSE(c.in_event_loop);
}

TEST_CASE("a flag that is neither true nor false is an error, not false", "[unit][config]") {
  CHECK_THROWS_WITH(resolve_config({}, {}, fake_env({{"AUTOBAHN_IN_EVENT_LOOP", "ture"}})),
                    "AUTOBAHN_IN_EVENT_LOOP must be true/1/yes/on or false/0/no/off, not \"ture\"");
  CHECK_FALSE(resolve_config({}, {}, fake_env({{"AUTOBAHN_IN_EVENT_LOOP", "Off"}})).in_event_loop);
}

TEST_CASE("the Python extension's AUTOBAHN_IN_TWISTED means AUTOBAHN_IN_EVENT_LOOP", "[unit][config]") {
  CHECK(resolve_config({}, {{"AUTOBAHN_IN_TWISTED", "true"}}, fake_env({})).in_event_loop);
  // Within one layer the C++ name wins when both are set.
  CHECK_FALSE(resolve_config({}, {{"AUTOBAHN_IN_TWISTED", "true"}, {"AUTOBAHN_IN_EVENT_LOOP", "false"}}, fake_env({}))
                  .in_event_loop);
  CHECK_FALSE(resolve_config({}, {}, fake_env({{"AUTOBAHN_IN_TWISTED", "true"}, {"AUTOBAHN_IN_EVENT_LOOP", "false"}}))
                  .in_event_loop);
  // Across layers the app map wins over the environment, whichever name each uses.
  CHECK(resolve_config({}, {{"AUTOBAHN_IN_TWISTED", "true"}}, fake_env({{"AUTOBAHN_IN_EVENT_LOOP", "false"}}))
            .in_event_loop);
  CHECK_FALSE(resolve_config({}, {{"AUTOBAHN_IN_EVENT_LOOP", "false"}}, fake_env({{"AUTOBAHN_IN_TWISTED", "true"}}))
                  .in_event_loop);
  CHECK_THROWS_WITH(resolve_config({}, {}, fake_env({{"AUTOBAHN_IN_TWISTED", "maybe"}})),
                    "AUTOBAHN_IN_TWISTED must be true/1/yes/on or false/0/no/off, not \"maybe\"");
}

TEST_CASE("empty values count as unset", "[unit][config]") {
  auto c = resolve_config({std::string()}, {{"AUTOBAHN_REALM", ""}},
                          fake_env({{"AUTOBAHN_REALM", "env_realm"}}));
  CHECK(c.router == "ws://localhost:8080/ws");
  CHECK(c.realm == "env_realm");
}

// Reading Crossbar.io config files: every field the router uses, every refusal (the message
// names the key), and one log line per ignored key.
#include "router/crossbar_config.hpp"

#include <cstdlib>

#include <catch2/catch.hpp>

using namespace autobahn_sync;
using router::config_error;
namespace w = autobahn_sync::wamp;

namespace {

// Modelled on crossbar-examples' authentication configs: a router worker with options the
// router does not need, two realms, a web transport with a static path, an open WebSocket
// path, a ticket path and a salted wampcra path, plus a RawSocket transport.
const char* full_config = R"({
  "$schema": "https://raw.githubusercontent.com/crossbario/crossbar/master/crossbar.json",
  "version": 2,
  "controller": {},
  "workers": [{
    "type": "router",
    "id": "router1",
    "options": {"pythonpath": [".."], "env": {"inherit": true}},
    "realms": [
      {
        "name": "realm1",
        "roles": [
          {"name": "anonymous", "permissions": [
            {"uri": "com.example.public.", "match": "prefix",
             "allow": {"call": true, "subscribe": true},
             "disclose": {"caller": false, "publisher": true}, "cache": true}]},
          {"name": "backend", "permissions": [
            {"uri": "", "match": "prefix",
             "allow": {"call": true, "register": true, "publish": true, "subscribe": true},
             "disclose": {"caller": true}},
            {"uri": "com.example..admin", "match": "wildcard", "allow": {"call": true}},
            {"uri": "com.example.legacy.*", "allow": {"publish": true}},
            {"uri": "com.example.exact"},
            {"uri": "com.*.create", "allow": {"call": true}},
            {"uri": "com.x.*.*", "allow": {"call": true}}]}
        ],
        "store": {"type": "memory", "event-history": [
          {"uri": "com.example.news", "limit": 5},
          {"uri": "com.example.feed.", "match": "prefix", "limit": 100},
          {"uri": "com.example.default_limit"}]}
      },
      {"name": "realm2", "roles": [{"name": "anonymous", "permissions": [{"uri": "*", "allow": {"call": true}}]}]}
    ],
    "transports": [
      {
        "type": "web",
        "endpoint": {"type": "tcp", "port": 8080, "interface": "127.0.0.1", "backlog": 1024},
        "paths": {
          "/": {"type": "static", "directory": "../web"},
          "ws": {"type": "websocket", "serializers": ["json"]},
          "auth_ws": {"type": "websocket", "auth": {
            "ticket": {"type": "static", "principals": {
              "joe": {"ticket": "secret!!!", "role": "backend"},
              "realm2only": {"ticket": "t2", "role": "anonymous", "realm": "realm2"}}}}},
          "cra": {"type": "websocket", "options": {"enable_webstatus": false}, "auth": {
            "wampcra": {"type": "static", "users": {
              "client1": {"secret": "123456", "role": "backend"},
              "client2": {"secret": "prq7+YkJ1/KlW1X0YczMHw==", "role": "backend",
                          "salt": "salt123", "iterations": 100, "keylen": 16}}},
            "anonymous": {"type": "static", "role": "anonymous", "realm": "realm1"}}}
        }
      },
      {"type": "rawsocket", "endpoint": {"type": "tcp", "port": 9000},
       "serializers": ["msgpack"],
       "auth": {"anonymous": {"type": "static", "role": "backend"}}},
      {"type": "websocket", "endpoint": {"type": "tcp", "port": 9001, "version": 6},
       "url": "ws://localhost:9001/direct"}
    ]
  }]
})";

struct parsed {
  router::router_config config;
  std::vector<std::string> log;
};

parsed parse(const std::string& text) {
  parsed p;
  p.config = router::router_config_from_crossbar(w::value::parse(text),
                                                 [&](const std::string& line) { p.log.push_back(line); });
  return p;
}

// The config_error message of reading `text`, or "" when it reads fine.
std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const config_error& e) {
    return e.what();
  }
  return "";
}

// A config with one router worker whose JSON body is `worker_body`.
std::string with_worker(const std::string& worker_body) {
  return R"({"version": 2, "workers": [{"type": "router", )" + worker_body + "}]}";
}

// A config with one web transport whose "ws" path has the JSON auth `auth`.
std::string with_auth(const std::string& auth) {
  return with_worker(R"("transports": [{"type": "web", "endpoint": {"type": "tcp", "port": 1},
                         "paths": {"ws": {"type": "websocket", "auth": )" + auth + "}}}]");
}

bool logged(const parsed& p, const std::string& key) {
  for (const auto& line : p.log)
    if (line.find("ignored " + key + " ") != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("realms, roles and permissions are read as Crossbar means them", "[crossbar]") {
  const auto p = parse(full_config);
  REQUIRE(p.config.realms.size() == 2);
  const auto& realm1 = p.config.realms[0];
  CHECK(realm1.name == "realm1");
  CHECK_FALSE(realm1.allow_anonymous);  // transports decide who joins
  REQUIRE(realm1.roles.size() == 2);

  const auto& anonymous = realm1.roles[0];
  CHECK(anonymous.name == "anonymous");
  REQUIRE(anonymous.permissions.size() == 1);
  const auto& pub = anonymous.permissions[0];
  CHECK(pub.uri == "com.example.public.");
  CHECK(pub.match == w::match_policy::prefix);
  CHECK(pub.allow_call);
  CHECK_FALSE(pub.allow_register);
  CHECK_FALSE(pub.allow_publish);
  CHECK(pub.allow_subscribe);
  CHECK_FALSE(pub.disclose_caller);
  CHECK(pub.disclose_publisher);

  const auto& backend = realm1.roles[1].permissions;
  REQUIRE(backend.size() == 6);
  CHECK(backend[0].uri == "");
  CHECK(backend[0].match == w::match_policy::prefix);
  CHECK((backend[0].allow_call && backend[0].allow_register && backend[0].allow_publish && backend[0].allow_subscribe));
  CHECK(backend[0].disclose_caller);
  CHECK_FALSE(backend[0].disclose_publisher);
  CHECK(backend[1].uri == "com.example..admin");
  CHECK(backend[1].match == w::match_policy::wildcard);
  // Legacy form: a trailing "*" is a prefix.
  CHECK(backend[2].uri == "com.example.legacy.");
  CHECK(backend[2].match == w::match_policy::prefix);
  CHECK(backend[2].allow_publish);
  // No match: exact; no allow: nothing allowed.
  CHECK(backend[3].uri == "com.example.exact");
  CHECK(backend[3].match == w::match_policy::exact);
  CHECK_FALSE((backend[3].allow_call || backend[3].allow_register || backend[3].allow_publish ||
               backend[3].allow_subscribe));
  // Any other "*": wildcard components, the stars removed.
  CHECK(backend[4].uri == "com..create");
  CHECK(backend[4].match == w::match_policy::wildcard);
  CHECK(backend[5].uri == "com.x..");
  CHECK(backend[5].match == w::match_policy::wildcard);

  REQUIRE(realm1.history.size() == 3);
  CHECK(realm1.history[0].uri == "com.example.news");
  CHECK(realm1.history[0].match == w::match_policy::exact);
  CHECK(realm1.history[0].limit == 5);
  CHECK(realm1.history[1].uri == "com.example.feed.");
  CHECK(realm1.history[1].match == w::match_policy::prefix);
  CHECK(realm1.history[1].limit == 100);
  CHECK(realm1.history[2].limit == 100);  // the store's default, Crossbar's 100 without one

  // "*" alone: every URI.
  const auto& realm2 = p.config.realms[1];
  CHECK(realm2.name == "realm2");
  REQUIRE(realm2.roles.at(0).permissions.size() == 1);
  CHECK(realm2.roles[0].permissions[0].uri == "");
  CHECK(realm2.roles[0].permissions[0].match == w::match_policy::prefix);
}

TEST_CASE("transports become listeners with their paths' own authentication", "[crossbar]") {
  const auto p = parse(full_config);
  REQUIRE(p.config.listeners.size() == 3);

  const auto& web = p.config.listeners[0];
  CHECK(web.type == "websocket");
  CHECK(web.host == "127.0.0.1");
  CHECK(web.port == 8080);
  REQUIRE(web.paths.size() == 3);  // the static path is not served
  std::map<std::string, std::shared_ptr<const router::transport_auth>> auth;
  for (const auto& path : web.paths) auth[path.path] = path.auth;
  REQUIRE(auth.count("/ws"));
  REQUIRE(auth.count("/auth_ws"));
  REQUIRE(auth.count("/cra"));

  // No auth: anonymous with the role "anonymous".
  REQUIRE(auth["/ws"]);
  CHECK(auth["/ws"]->allow_anonymous);
  CHECK(auth["/ws"]->anonymous_role == "anonymous");
  CHECK(auth["/ws"]->anonymous_realm == "");
  CHECK(auth["/ws"]->users.empty());

  const auto& ticket = *auth["/auth_ws"];
  CHECK_FALSE(ticket.allow_anonymous);
  REQUIRE(ticket.users.size() == 2);
  const auto& joe = ticket.users[0].authid == "joe" ? ticket.users[0] : ticket.users[1];
  const auto& realm2only = ticket.users[0].authid == "joe" ? ticket.users[1] : ticket.users[0];
  CHECK(joe.method == "ticket");
  CHECK(joe.secret == "secret!!!");
  CHECK(joe.role == "backend");
  CHECK(joe.realm == "");
  CHECK(realm2only.realm == "realm2");

  const auto& cra = *auth["/cra"];
  CHECK(cra.allow_anonymous);
  CHECK(cra.anonymous_realm == "realm1");
  REQUIRE(cra.users.size() == 2);
  const auto& client2 = cra.users[0].authid == "client2" ? cra.users[0] : cra.users[1];
  const auto& client1 = cra.users[0].authid == "client2" ? cra.users[1] : cra.users[0];
  CHECK(client1.method == "wampcra");
  CHECK(client1.secret == "123456");
  CHECK_FALSE(client1.salt);
  CHECK(client2.secret == "prq7+YkJ1/KlW1X0YczMHw==");
  CHECK(client2.salt == std::optional<std::string>("salt123"));
  CHECK(client2.iterations == 100);
  CHECK(client2.keylen == 16);
  CHECK(client2.secret_is_derived_key);

  const auto& raw = p.config.listeners[1];
  CHECK(raw.type == "rawsocket");
  CHECK(raw.host == "0.0.0.0");  // no interface: every interface
  CHECK(raw.port == 9000);
  REQUIRE(raw.auth);
  CHECK(raw.auth->allow_anonymous);
  CHECK(raw.auth->anonymous_role == "backend");

  const auto& direct = p.config.listeners[2];
  CHECK(direct.type == "websocket");
  CHECK(direct.host == "::");
  CHECK(direct.port == 9001);
  REQUIRE(direct.paths.size() == 1);
  CHECK(direct.paths[0].path == "/direct");
  CHECK(direct.paths[0].auth->allow_anonymous);
}

TEST_CASE("keys the router does not need are logged once each", "[crossbar]") {
  const auto p = parse(full_config);
  CHECK(logged(p, "$schema"));
  CHECK(logged(p, "controller"));
  CHECK(logged(p, "workers[0].options.pythonpath"));
  CHECK(logged(p, "workers[0].options.env"));
  CHECK(logged(p, "workers[0].transports[0].endpoint.backlog"));
  CHECK(logged(p, "workers[0].transports[0].paths./"));
  CHECK(logged(p, "workers[0].transports[0].paths.ws.serializers"));
  CHECK(logged(p, "workers[0].transports[0].paths.cra.options.enable_webstatus"));
  CHECK(logged(p, "workers[0].transports[1].serializers"));
  CHECK(p.log.size() == 9);
  for (const auto& line : p.log) CHECK(line.rfind("crossbar config: ignored ", 0) == 0);
  // Read keys are not logged.
  CHECK_FALSE(logged(p, "workers[0].id"));
  CHECK_FALSE(logged(p, "workers[0].realms[0].roles[0].permissions[0].cache"));
}

TEST_CASE("a top-level websocket transport without url serves /", "[crossbar]") {
  const auto p = parse(with_worker(R"("transports": [{"type": "websocket", "endpoint": {"type": "tcp", "port": 0}}])"));
  REQUIRE(p.config.listeners.size() == 1);
  REQUIRE(p.config.listeners[0].paths.size() == 1);
  CHECK(p.config.listeners[0].paths[0].path == "/");
  CHECK(p.config.listeners[0].paths[0].any_path);  // the path is only the one announced
  CHECK(p.config.listeners[0].port == 0);
}

TEST_CASE("a web transport without WebSocket paths listens on nothing, and says so", "[crossbar]") {
  const auto p = parse(with_worker(R"("transports": [{"type": "web", "endpoint": {"type": "tcp", "port": 1},
                                       "paths": {"/": {"type": "static", "directory": "."}}}])"));
  CHECK(p.config.listeners.empty());
  CHECK(logged(p, "workers[0].transports[0]"));
}

TEST_CASE("a realm without roles admits nobody, as in Crossbar", "[crossbar]") {
  const auto p = parse(with_worker(R"("realms": [{"name": "closed"}])"));
  REQUIRE(p.config.realms.size() == 1);
  const auto& r = p.config.realms[0];
  REQUIRE_FALSE(r.roles.empty());  // an empty list would make the realm open
  CHECK(r.find_role("anonymous") == nullptr);
}

TEST_CASE("secrets, tickets and ports may come from the environment", "[crossbar]") {
  ::setenv("CROSSBAR_TEST_TICKET", "from-env", 1);
  ::setenv("CROSSBAR_TEST_PORT", "8123", 1);
  ::unsetenv("CROSSBAR_TEST_UNSET");
  const auto p = parse(with_worker(R"("transports": [{"type": "web", "endpoint": {"type": "tcp", "port": "$CROSSBAR_TEST_PORT"},
      "paths": {"ws": {"type": "websocket", "auth": {
        "ticket": {"type": "static", "principals": {"a": {"ticket": "${CROSSBAR_TEST_TICKET}", "role": "r"}}},
        "wampcra": {"type": "static", "users": {"b": {"secret": "$CROSSBAR_TEST_TICKET", "role": "r"}}}}}}}])"));
  REQUIRE(p.config.listeners.size() == 1);
  CHECK(p.config.listeners[0].port == 8123);
  const auto& users = p.config.listeners[0].paths.at(0).auth->users;
  REQUIRE(users.size() == 2);
  CHECK(users[0].secret == "from-env");
  CHECK(users[1].secret == "from-env");
  CHECK(error_of(with_auth(R"({"ticket": {"type": "static", "principals": {"a": {"ticket": "${CROSSBAR_TEST_UNSET}", "role": "r"}}}})")) ==
        "workers[0].transports[0].paths.ws.auth.ticket.principals.a.ticket: the environment variable "
        "CROSSBAR_TEST_UNSET is not set");
}

TEST_CASE("what the router cannot honour is refused, naming the key", "[crossbar]") {
  auto refused = [](const std::string& text, const std::string& expected) {
    const auto message = error_of(text);
    CAPTURE(text);
    CHECK(message.rfind(expected, 0) == 0);
    CHECK_FALSE(message.empty());
  };
  // The file as a whole.
  refused("[]", "config: must be a JSON object");
  refused(R"({"workers": []})", "version: missing");
  refused(R"({"version": 1, "workers": []})", "version: only Crossbar config version 2");
  refused(R"({"version": 2, "workers": {}})", "config.workers: must be a list");
  // Workers.
  refused(R"({"version": 2, "workers": [{"type": "container", "components": []}]})",
          "workers[0].type: \"container\" workers run application code");
  refused(R"({"version": 2, "workers": [{"type": "guest", "executable": "node"}]})",
          "workers[0].type: \"guest\" workers run application code");
  refused(R"({"version": 2, "workers": [{"type": "proxy"}]})", "workers[0].type: \"proxy\" workers are not supported");
  refused(R"({"version": 2, "workers": [{"id": "x"}]})", "workers[0]: missing \"type\"");
  refused(with_worker(R"("components": [{"type": "class", "classname": "backend.Backend", "realm": "realm1"}])"),
          "workers[0].components: this router cannot run components");
  refused(with_worker(R"("containers": [{"id": "c"}])"), "workers[0].containers: this router cannot run containers");
  // Realms, roles, permissions.
  refused(with_worker(R"("realms": [{"roles": []}])"), "workers[0].realms[0]: missing \"name\"");
  refused(with_worker(R"("realms": [{"name": "not a uri"}])"), "workers[0].realms[0].name: \"not a uri\" is not a valid URI");
  refused(with_worker(R"("realms": [{"name": "r"}, {"name": "r"}])"), "workers[0].realms[1].name: realm \"r\" is defined twice");
  refused(with_worker(R"("realms": [{"name": "r", "roles": [{"name": "x", "authorizer": "com.example.authorize"}]}])"),
          "workers[0].realms[0].roles[0].authorizer: dynamic authorizers");
  refused(with_worker(R"("realms": [{"name": "r", "roles": [{"permissions": []}]}])"),
          "workers[0].realms[0].roles[0]: missing \"name\"");
  refused(with_worker(R"("realms": [{"name": "r", "roles": [{"name": "x", "permissions": [{"uri": "a", "match": "fuzzy"}]}]}])"),
          "workers[0].realms[0].roles[0].permissions[0].match: must be exact, prefix or wildcard, not \"fuzzy\"");
  refused(with_worker(R"("realms": [{"name": "r", "roles": [{"name": "x", "permissions": [{"match": "exact"}]}]}])"),
          "workers[0].realms[0].roles[0].permissions[0]: missing \"uri\"");
  refused(with_worker(R"("realms": [{"name": "r", "roles": [{"name": "x", "permissions": [{"uri": "a b"}]}]}])"),
          "workers[0].realms[0].roles[0].permissions[0].uri: \"a b\" is not a valid exact URI pattern");
  refused(with_worker(R"("realms": [{"name": "r", "roles": [{"name": "x"}, {"name": "x"}]}])"),
          "workers[0].realms[0].roles[1].name: the role \"x\" is defined twice");
  refused(with_worker(R"("transports": [{"type": "web", "endpoint": {"type": "tcp", "port": 1},
                          "paths": {"/ws": {"type": "websocket"}, "ws": {"type": "websocket"}}}])"),
          "workers[0].transports[0].paths.ws: the path \"/ws\" is given twice");
  // A "*" Crossbar would take literally: a pattern that never matches there is refused here.
  refused(with_worker(R"("realms": [{"name": "r", "roles": [{"name": "x", "permissions": [{"uri": "a.*", "match": "prefix"}]}]}])"),
          "workers[0].realms[0].roles[0].permissions[0].uri: \"a.*\" has a \"*\" that Crossbar.io takes literally (with an "
          "explicit \"match\"), so it would match nothing: remove the \"*\" or the \"match\"");
  refused(with_worker(R"("realms": [{"name": "r", "store": {"event-history": [{"uri": "a.*"}]}}])"),
          "workers[0].realms[0].store.event-history[0].uri: \"a.*\" has a \"*\" that Crossbar.io takes literally (in an "
          "event history), so it would match nothing: remove the \"*\"");
  refused(with_worker(R"("realms": [{"name": "r", "roles": [{"name": "x", "permissions": [{"uri": "a", "allow": {"call": "yes"}}]}]}])"),
          "workers[0].realms[0].roles[0].permissions[0].allow.call: must be true or false");
  refused(with_worker(R"("realms": [{"name": "r", "store": {"event-history": [{"uri": "a", "limit": -1}]}}])"),
          "workers[0].realms[0].store.event-history[0].limit: must be an integer");
  // Transports and endpoints.
  refused(with_worker(R"("transports": [{"type": "universal", "endpoint": {"type": "tcp", "port": 1}}])"),
          "workers[0].transports[0].type: \"universal\" transports are not supported");
  refused(with_worker(R"("transports": [{"type": "rawsocket"}])"), "workers[0].transports[0]: missing \"endpoint\"");
  refused(with_worker(R"("transports": [{"type": "rawsocket", "endpoint": {"type": "unix", "path": "x.sock"}}])"),
          "workers[0].transports[0].endpoint.type: \"unix\" endpoints are not supported");
  refused(with_worker(R"("transports": [{"type": "rawsocket", "endpoint": {"type": "tcp", "port": 1, "tls": {"key": "k"}}}])"),
          "workers[0].transports[0].endpoint.tls: TLS is not supported");
  refused(with_worker(R"("transports": [{"type": "rawsocket", "endpoint": {"type": "tcp", "port": 70000}}])"),
          "workers[0].transports[0].endpoint.port: must be an integer in 0..65535");
  refused(with_worker(R"("transports": [{"type": "rawsocket", "endpoint": {"type": "tcp"}}])"),
          "workers[0].transports[0].endpoint: missing \"port\"");
  refused(with_worker(R"("transports": [{"type": "web", "endpoint": {"type": "tcp", "port": 1}, "paths": {"ws": {"auth": {}}}}])"),
          "workers[0].transports[0].paths.ws: missing \"type\"");
  // Authentication.
  refused(with_auth(R"({"ticket": {"type": "dynamic", "authenticator": "com.example.authenticate"}})"),
          "workers[0].transports[0].paths.ws.auth.ticket.type: \"dynamic\" authentication is not supported");
  refused(with_auth(R"({"anonymous": {"type": "dynamic"}})"),
          "workers[0].transports[0].paths.ws.auth.anonymous.type: \"dynamic\" authentication is not supported");
  refused(with_auth(R"({"wampcra": {"users": {}}})"), "workers[0].transports[0].paths.ws.auth.wampcra: missing \"type\"");
  refused(with_auth(R"({"cookie": {"type": "static"}})"),
          "workers[0].transports[0].paths.ws.auth.cookie: the authentication method \"cookie\" is not supported");
  refused(with_auth(R"({"scram": {"type": "static"}})"),
          "workers[0].transports[0].paths.ws.auth.scram: the authentication method \"scram\" is not supported");
  refused(with_auth(R"({"ticket": {"type": "static", "principals": {"a": {"role": "r"}}}})"),
          "workers[0].transports[0].paths.ws.auth.ticket.principals.a: missing \"ticket\"");
  refused(with_auth(R"({"ticket": {"type": "static", "principals": {"a": {"ticket": "t"}}}})"),
          "workers[0].transports[0].paths.ws.auth.ticket.principals.a: missing \"role\"");
  refused(with_auth(R"({"wampcra": {"type": "static", "users": {"a": {"secret": "", "role": "r"}}}})"),
          "workers[0].transports[0].paths.ws.auth.wampcra.users.a: the secret is empty");
  refused(with_auth(R"({"wampcra": {"type": "static", "users": {"a": {"secret": "s", "role": "r", "iterations": 0}}}})"),
          "workers[0].transports[0].paths.ws.auth.wampcra.users.a.iterations: must be an integer in 1..");
  refused(with_auth(R"({"cryptosign": {"type": "static", "principals": {"a": {"role": "r"}}}})"),
          "workers[0].transports[0].paths.ws.auth.cryptosign.principals.a.authorized_keys: required");
  // One key for two principals: which of them a HELLO with that key would be is not said.
  refused(with_auth(R"({"cryptosign": {"type": "static", "principals": {
                          "a": {"role": "r", "authorized_keys": ["ab12"]},
                          "b": {"role": "r", "authorized_keys": ["cd34", "AB12"]}}}})"),
          "workers[0].transports[0].paths.ws.auth: the public key AB12 is given to both \"a\" and \"b\"");
  // ...unless their realms keep them apart.
  CHECK(error_of(with_auth(R"({"cryptosign": {"type": "static", "principals": {
                                 "a": {"role": "r", "realm": "r1", "authorized_keys": ["ab12"]},
                                 "b": {"role": "r", "realm": "r2", "authorized_keys": ["ab12"]}}}})")) == "");
}

TEST_CASE("an empty auth admits anonymous sessions, as no auth does", "[crossbar]") {
  // Crossbar's onHello tests `not auth_config`: {} counts as not configured.
  const auto p = parse(with_auth("{}"));
  const auto& auth = p.config.listeners.at(0).paths.at(0).auth;
  REQUIRE(auth);
  CHECK(auth->allow_anonymous);
  CHECK(auth->anonymous_role == "anonymous");
  CHECK(auth->users.empty());
}

TEST_CASE("cryptosign principals carry their authorized keys", "[crossbar]") {
  const std::string key(64, 'a');
  const auto p = parse(with_auth(R"({"cryptosign": {"type": "static", "principals": {
      "robot": {"realm": "realm1", "role": "backend", "authorized_keys": [")" + key + R"("]}}}})"));
  const auto& users = p.config.listeners.at(0).paths.at(0).auth->users;
  REQUIRE(users.size() == 1);
  CHECK(users[0].method == "cryptosign");
  CHECK(users[0].authid == "robot");
  CHECK(users[0].realm == "realm1");
  CHECK(users[0].public_keys == std::vector<std::string>{key});
}

TEST_CASE("the router's own format still reads", "[crossbar]") {
  const auto c = router::router_config_from_json(w::value::parse(
      R"({"listeners": [{"type": "websocket", "port": 0, "path": "/x"}], "realms": [{"name": "r"}]})"));
  REQUIRE(c.listeners.size() == 1);
  CHECK(c.listeners[0].path == "/x");
  CHECK(c.listeners[0].paths.empty());
  CHECK_FALSE(c.listeners[0].auth);
}

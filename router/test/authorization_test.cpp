// Authorization: roles with permissions on URI patterns, and the dynamic authorizer hook.
// Every action denied gets wamp.error.not_authorized.
#include "router/router_core.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "router/test/peer.hpp"
#include "router/uris.hpp"
#include "wamp/codec.hpp"

namespace wamp = autobahn_sync::wamp;
namespace router = autobahn_sync::router;
using router::test::peer;

namespace {

router::permission allow(std::string uri, wamp::match_policy match, bool call, bool reg, bool pub, bool sub) {
  router::permission p;
  p.uri = std::move(uri);
  p.match = match;
  p.allow_call = call;
  p.allow_register = reg;
  p.allow_publish = pub;
  p.allow_subscribe = sub;
  return p;
}

router::realm_config restricted() {
  router::realm_config r{"realm1"};
  r.roles = {{"anonymous",
              {allow("com.example.", wamp::match_policy::prefix, true, true, true, true),
               allow("com.example.readonly.", wamp::match_policy::prefix, true, false, false, true),
               allow("com.example.secret", wamp::match_policy::exact, false, false, false, false)}}};
  return r;
}

}  // namespace

TEST_CASE("each action is checked against the most specific permission", "[unit]") {
  router::router_core core;
  core.add_realm(restricted());
  peer p(core);
  p.join();
  struct attempt {
    wamp::message msg;
    bool allowed;
  };
  const std::vector<attempt> attempts = {
      {wamp::register_{1, {}, "com.example.p"}, true},
      {wamp::register_{2, {}, "com.example.readonly.p"}, false},
      {wamp::subscribe{3, {}, "com.example.readonly.t"}, true},
      {wamp::publish{4, {{"acknowledge", true}}, "com.example.readonly.t"}, false},
      {wamp::publish{5, {{"acknowledge", true}}, "com.example.t"}, true},
      {wamp::call{6, {}, "com.example.secret"}, false},
      {wamp::subscribe{7, {}, "com.example.secret"}, false},
      {wamp::call{8, {}, "org.other.p"}, false},  // no rule: denied
      {wamp::subscribe{9, {}, "org.other.t"}, false},
  };
  for (const auto& a : attempts) {
    INFO(wamp::value(wamp::to_value(a.msg)).dump());
    p.send(a.msg);
    REQUIRE_FALSE(p.inbox.empty());
    const auto* error = std::get_if<wamp::error>(&p.inbox.front());
    if (a.allowed) {
      CHECK(error == nullptr);
    } else {
      REQUIRE(error != nullptr);
      CHECK(error->error_uri == router::uris::not_authorized);
    }
    p.inbox.clear();
  }
}

TEST_CASE("permissions are chosen as Crossbar.io chooses them", "[unit]") {
  // crossbar/router/role.py: the longest exact-or-prefix URI starting the URI decides, unless
  // a matching wildcard with the longest fixed start takes over from a prefix.
  router::router_core core;
  router::realm_config r{"realm1"};
  r.roles = {{"anonymous",
              {allow("com.example.", wamp::match_policy::prefix, false, false, true, true),
               allow("com.example..admin", wamp::match_policy::wildcard, false, false, false, false),
               allow("com.example.foo", wamp::match_policy::exact, false, false, true, true),
               allow("com.other.", wamp::match_policy::prefix, false, false, false, false),
               allow("com.other.", wamp::match_policy::prefix, false, false, false, true),  // the last wins
               // Crossbar.io's "*.create": no empty component inside, so it matches no other URI.
               allow(".create", wamp::match_policy::wildcard, false, false, false, true)}}};
  core.add_realm(r);
  peer p(core);
  p.join();
  const std::vector<std::pair<std::string, bool>> subscriptions = {
      {"com.example.x", true},         // the prefix
      {"com.example.x.admin", false},  // the wildcard beats the prefix
      {"com.example.foo", true},       // exact
      {"com.example.foobar", false},   // the exact com.example.foo is the longest: it hides the prefix
      {"com.other.t", true},           // the later of two permissions on one URI
      {"org.x.create", false},         // as in Crossbar.io, ".create" decides for ".create" only
  };
  wamp::id request = 0;
  for (const auto& [topic, allowed] : subscriptions) {
    INFO(topic);
    p.send(wamp::subscribe{++request, {}, topic});
    REQUIRE_FALSE(p.inbox.empty());
    CHECK(std::holds_alternative<wamp::subscribed>(p.inbox.front()) == allowed);
    p.inbox.clear();
  }
}

TEST_CASE("the dynamic authorizer overrides the roles", "[unit]") {
  router::router_core core;
  auto& realm = core.add_realm({"realm1"});
  std::vector<std::string> asked;
  realm.set_authorizer([&](const router::session&, router::action what, const std::string& uri) -> std::optional<bool> {
    asked.push_back(std::string(router::to_string(what)) + " " + uri);
    if (uri == "com.example.denied") return false;
    return std::nullopt;
  });
  peer p(core);
  p.join();
  p.send(wamp::subscribe{1, {}, "com.example.denied"});
  p.expect_error(router::uris::not_authorized);
  p.send(wamp::subscribe{2, {}, "com.example.fine"});
  p.expect<wamp::subscribed>();
  CHECK(asked == std::vector<std::string>{"subscribe com.example.denied", "subscribe com.example.fine"});
}

TEST_CASE("a dynamic authorizer that throws denies, and the log says why", "[unit]") {
  std::vector<std::string> lines;
  router::core_options o;
  o.log = [&](const std::string& line) { lines.push_back(line); };
  router::router_core core(o);
  auto& realm = core.add_realm({"realm1"});
  realm.set_authorizer([](const router::session&, router::action, const std::string& uri) -> std::optional<bool> {
    if (uri == "com.example.broken") throw std::runtime_error("the policy store is down");
    return std::nullopt;
  });
  peer p(core);
  p.join();
  p.send(wamp::subscribe{1, {}, "com.example.broken"});
  p.expect_error(router::uris::not_authorized);
  CHECK(std::count(lines.begin(), lines.end(),
                   "authorizer failed: session=" + std::to_string(p.session_id()) +
                       " uri=com.example.broken: the policy store is down") == 1);
  p.send(wamp::subscribe{2, {}, "com.example.fine"});
  p.expect<wamp::subscribed>();
}

TEST_CASE("disclose_caller in a permission discloses the caller", "[unit]") {
  router::router_core core;
  router::realm_config config{"realm1"};
  auto p = router::permission::allow_all();
  p.disclose_caller = true;
  config.roles = {{"anonymous", {p}}};
  core.add_realm(config);
  peer callee(core), caller(core);
  callee.join();
  caller.join();
  callee.send(wamp::register_{1, {}, "p"});
  callee.expect<wamp::registered>();
  caller.send(wamp::call{1, {}, "p"});
  CHECK(callee.expect<wamp::invocation>().details.at("caller") == caller.session_id());
}

TEST_CASE("realm configuration from JSON names the key that is wrong", "[unit]") {
  const auto config = router::router_config_from_json(wamp::value::parse(R"({
    "realms": [{"name": "realm1", "anonymous": false,
                "roles": [{"name": "user", "permissions": [
                  {"uri": "com.example.", "match": "prefix", "allow": {"call": true, "subscribe": true},
                   "disclose": {"caller": true}}]}],
                "users": [{"authid": "alice", "role": "user", "method": "ticket", "secret": "s"}]}],
    "listeners": [{"type": "websocket", "port": 0, "path": "/ws"}]
  })"));
  REQUIRE(config.realms.size() == 1);
  const auto& realm = config.realms[0];
  CHECK_FALSE(realm.allow_anonymous);
  REQUIRE(realm.roles.at(0).permissions.size() == 1);
  CHECK(realm.roles[0].permissions[0].allow_call);
  CHECK_FALSE(realm.roles[0].permissions[0].allow_register);
  CHECK(realm.roles[0].permissions[0].disclose_caller);
  CHECK(realm.users.at(0).secret == "s");
  CHECK(config.listeners.at(0).port == 0);

  auto error_of = [](const char* text) -> std::string {
    try {
      router::router_config_from_json(wamp::value::parse(text));
    } catch (const router::config_error& e) {
      return e.what();
    }
    return "no error";
  };
  CHECK(error_of(R"({"realms": [{"roles": []}]})") == "realm: missing \"name\"");
  CHECK(error_of(R"({"realms": [{"name": "r", "roles": [{"name": "x", "permissions": [{"uri": "a", "match": "regex"}]}]}]})") ==
        "realm r.roles[0].permissions[0].match: must be exact, prefix or wildcard, not \"regex\"");
  CHECK(error_of(R"({"realms": [{"name": "r", "users": [{"authid": "a", "role": "x", "method": "ticket"}]}]})") ==
        "realm r.users[0].secret: required for ticket");
  CHECK(error_of(R"({"listeners": [{"type": "carrier-pigeon"}]})") ==
        "config.listeners[0].type: must be websocket or rawsocket, not \"carrier-pigeon\"");
  CHECK(error_of(R"({"realm": []})") == "config: unknown key \"realm\"");
  // A misspelt key is an error at every level, not an absent key: without its roles the realm
  // would let everyone do everything.
  CHECK(error_of(R"({"realms": [{"name": "r", "rolse": []}]})") == "realm r: unknown key \"rolse\"");
  CHECK(error_of(R"({"realms": [{"name": "r", "anonymus": false}]})") == "realm r: unknown key \"anonymus\"");
  CHECK(error_of(R"({"realms": [{"name": "r", "roles": [{"name": "x", "permisions": []}]}]})") ==
        "realm r.roles[0]: unknown key \"permisions\"");
  CHECK(error_of(R"({"realms": [{"name": "r", "roles": [{"name": "x", "permissions": [{"uri": "a", "allow": true}]}]}]})") ==
        "realm r.roles[0].permissions[0].allow: must be an object");
  CHECK(error_of(R"({"realms": [{"name": "r", "roles": [{"name": "x", "permissions": [{"uri": "a", "allow": {"cal": true}}]}]}]})") ==
        "realm r.roles[0].permissions[0].allow: unknown key \"cal\"");
  CHECK(error_of(R"({"realms": [{"name": "r", "users": [{"authid": "a", "role": "x", "method": "ticket", "secret": "s", "sale": "x"}]}]})") ==
        "realm r.users[0]: unknown key \"sale\"");
  CHECK(error_of(R"({"listeners": [{"type": "rawsocket", "prot": 8081}]})") == "config.listeners[0]: unknown key \"prot\"");
  CHECK(error_of(R"({"listeners": [{"type": "rawsocket", "port": 8081, "path": "/ws"}]})") ==
        "config.listeners[0].path: a rawsocket listener has no path (only websocket ones do)");
  CHECK(error_of(R"({"listeners": [{"type": "websocket", "path": "ws"}]})") ==
        "config.listeners[0].path: must start with /, not \"ws\"");
  CHECK(error_of(R"({"realms": [{"name": "r", "event_history": [{"uri": "a..b"}]}]})") ==
        "realm r.event_history[0].uri: \"a..b\" is not a valid exact URI pattern");
  // Names that must be unique, and roles that must exist.
  CHECK(error_of(R"({"realms": [{"name": "r"}, {"name": "r"}]})") == "config.realms: the realm \"r\" is defined twice");
  CHECK(error_of(R"({"realms": [{"name": "r", "roles": [{"name": "x"}, {"name": "x"}]}]})") ==
        "realm r.roles[1].name: the role \"x\" is defined twice");
  CHECK(error_of(R"({"realms": [{"name": "r", "anonymous": false, "roles": [{"name": "x"}],
                     "users": [{"authid": "a", "role": "y", "method": "ticket", "secret": "s"}]}]})") ==
        "realm r.users[0].role: the realm has no role \"y\"");
  CHECK(error_of(R"({"realms": [{"name": "r", "roles": [{"name": "x"}]}]})") ==
        "realm r.anonymous_role: the realm has no role \"anonymous\" (set \"anonymous\": false to refuse anonymous sessions)");
  CHECK(error_of(R"({"realms": [{"name": "r", "anonymous": false, "roles": [{"name": "x"}]}]})") == "no error");
  // Users a HELLO could not tell apart.
  CHECK(error_of(R"({"realms": [{"name": "r", "users": [{"authid": "a", "role": "x", "method": "ticket", "secret": "s"},
                                                         {"authid": "a", "role": "y", "method": "ticket", "secret": "t"}]}]})") ==
        "realm r.users: \"a\" is given twice for ticket");
  CHECK(error_of(R"({"realms": [{"name": "r", "users": [{"authid": "a", "role": "x", "method": "cryptosign", "public_keys": ["EF01"]},
                                                         {"authid": "b", "role": "x", "method": "cryptosign", "public_keys": ["ef01"]}]}]})") ==
        "realm r.users: the public key ef01 is given to both \"a\" and \"b\" (which of them would join?)");
  // One authid with two methods is one principal (Crossbar's per-method principals).
  CHECK(error_of(R"({"realms": [{"name": "r", "users": [{"authid": "a", "role": "x", "method": "ticket", "secret": "s"},
                                                         {"authid": "a", "role": "x", "method": "wampcra", "secret": "s"}]}]})") ==
        "no error");
}

// A Crossbar.io config.json served end to end: the router reads it as the binary does
// (--crossbar-config), listens on its transports (port 0 on 127.0.0.1), and the project's
// own client joins over real WebSocket and RawSocket. Every allow and deny of the config's
// permissions and every authentication path (right and wrong ticket, right and wrong
// wampcra secret, salted and not) is checked.
#include <future>
#include <map>
#include <memory>

#include <catch2/catch.hpp>

#include "client/autobahn_sync.hpp"
#include "router/crossbar_config.hpp"
#include "router/router.hpp"
#include "wamp/auth/wampcra.hpp"

using namespace autobahn_sync;
using namespace std::chrono_literals;
namespace w = autobahn_sync::wamp;

namespace {

// Modelled on the Crossbar files of projects that test against Crossbar in CI (and on
// crossbar-examples' authentication configs): an open path for browsers, a ticket path for
// backend services, a wampcra path with a plain and a salted user, a RawSocket transport
// for a second realm, event history, and options Crossbar needs but this router does not.
// Crossbar stores a salted wampcra user's derived key, not its password: "@BOB_KEY@" is
// replaced by the key of "bobs-password".
const char* crossbar_config = R"({
  "version": 2,
  "controller": {},
  "workers": [{
    "type": "router",
    "options": {"pythonpath": [".."]},
    "realms": [
      {
        "name": "realm1",
        "roles": [
          {"name": "anonymous", "permissions": [
            {"uri": "com.example.public.", "match": "prefix",
             "allow": {"call": true, "register": false, "publish": false, "subscribe": true},
             "disclose": {"caller": false, "publisher": false}, "cache": true},
            {"uri": "com.example.news", "match": "exact", "allow": {"subscribe": true}},
            {"uri": "wamp.subscription.", "match": "prefix", "allow": {"call": true}}]},
          {"name": "backend", "permissions": [
            {"uri": "com.example.", "match": "prefix",
             "allow": {"call": true, "register": true, "publish": true, "subscribe": true},
             "disclose": {"caller": true, "publisher": true}}]},
          {"name": "frontend", "permissions": [
            {"uri": "com.example.*",
             "allow": {"call": true, "register": false, "publish": true, "subscribe": true},
             "disclose": {"caller": true, "publisher": false}},
            {"uri": "com.example.admin.", "match": "prefix",
             "allow": {"call": false, "register": false, "publish": false, "subscribe": false}}]}
        ],
        "store": {"type": "memory", "event-history": [{"uri": "com.example.news", "limit": 2}]}
      },
      {
        "name": "realm2",
        "roles": [
          {"name": "anonymous", "permissions": [
            {"uri": "com.other.", "match": "prefix", "allow": {"publish": true, "subscribe": true}}]},
          {"name": "backend", "permissions": [
            {"uri": "", "match": "prefix",
             "allow": {"call": true, "register": true, "publish": true, "subscribe": true}}]}
        ]
      }
    ],
    "transports": [
      {
        "type": "web",
        "endpoint": {"type": "tcp", "interface": "127.0.0.1", "port": 0},
        "paths": {
          "/": {"type": "static", "directory": "../web"},
          "ws": {"type": "websocket"},
          "auth_ws": {"type": "websocket", "auth": {
            "ticket": {"type": "static", "principals": {
              "service": {"ticket": "s3rvice-t1cket", "role": "backend", "realm": "realm1"}}}}},
          "cra": {"type": "websocket", "auth": {
            "wampcra": {"type": "static", "users": {
              "alice": {"secret": "alices-secret", "role": "frontend"},
              "bob": {"secret": "@BOB_KEY@", "role": "frontend",
                      "salt": "salt123", "iterations": 100, "keylen": 16}}}}}
        }
      },
      {
        "type": "rawsocket",
        "endpoint": {"type": "tcp", "interface": "127.0.0.1", "port": 0},
        "serializers": ["msgpack", "json"],
        "auth": {"anonymous": {"type": "static", "role": "backend", "realm": "realm2"}}
      }
    ]
  }]
})";

std::string config_text() {
  std::string text = crossbar_config;
  const std::string marker = "@BOB_KEY@";
  text.replace(text.find(marker), marker.size(), w::auth::wampcra_derive_key("bobs-password", "salt123", 100, 16));
  return text;
}

// The router serving the config, and the URL of each of its WebSocket paths.
struct served_config {
  std::vector<std::string> ignored;
  std::vector<router::listener_config> listeners;  // filled by read(), before r is built
  router::router r;
  std::map<std::string, std::string> url;  // "/ws" → "ws://127.0.0.1:<port>/ws", "rs" → "rs://..."

  served_config() : r(read()) {
    for (const auto& l : listeners) {
      const auto port = std::to_string(r.listen(l));
      if (l.type == "rawsocket") url["rs"] = "rs://" + l.host + ":" + port;
      for (const auto& p : l.paths) url[p.path] = "ws://" + l.host + ":" + port + p.path;
    }
  }
  ~served_config() { r.stop(); }

 private:
  router::router_config read() {
    auto config = router::router_config_from_crossbar(w::value::parse(config_text()),
                                                      [this](const std::string& line) { ignored.push_back(line); });
    listeners = config.listeners;
    return config;
  }
};

struct credentials {
  std::vector<std::string> methods;
  std::string authid;
  std::string ticket;
  std::string secret;
};

// A client joined to `realm` at `url`; throws what run() throws.
std::unique_ptr<AutobahnSync> join(const std::string& url, const std::string& realm, const credentials& c = {}) {
  client_options o;
  o.call_timeout = 10s;
  o.join_timeout = 10s;
  o.leave_timeout = 2s;
  o.ticket = c.ticket;
  o.secret = c.secret;
  auto app = std::make_unique<AutobahnSync>(c.methods, o);
  app->run(url, realm, {}, c.authid);
  return app;
}

// The ABORT reason of a join that must fail ("" if it joined).
std::string abort_reason(const std::string& url, const std::string& realm, const credentials& c = {}) {
  try {
    auto app = join(url, realm, c);
    app->stop();
  } catch (const AbortError& e) {
    return e.reason();
  }
  return "";
}

const credentials service{{"ticket"}, "service", "s3rvice-t1cket", ""};
const credentials alice{{"wampcra"}, "alice", "", "alices-secret"};
const credentials bob{{"wampcra"}, "bob", "", "bobs-password"};

std::string authrole(AutobahnSync& app) { return app.session().welcome_details().at("authrole").get<std::string>(); }
std::string authmethod(AutobahnSync& app) { return app.session().welcome_details().at("authmethod").get<std::string>(); }

const publish_options acknowledged{.acknowledge = true};

call_result echo_caller(const w::list&, const w::dict&, const invocation_details& d) {
  return call_result{{d.caller.has_value(), d.caller_authrole}};
}

}  // namespace

TEST_CASE("crossbar config: every authentication path of every transport", "[crossbar][e2e]") {
  served_config served;
  REQUIRE(served.url.size() == 4);
  const auto& ws = served.url.at("/ws");
  const auto& auth_ws = served.url.at("/auth_ws");
  const auto& cra = served.url.at("/cra");
  const auto& rs = served.url.at("rs");

  SECTION("a path without auth admits anonymous sessions with the role anonymous") {
    auto app = join(ws, "realm1");
    CHECK(authrole(*app) == "anonymous");
    CHECK(authmethod(*app) == "anonymous");
    app->stop();
    // ... but no ticket users: those belong to another path.
    CHECK(abort_reason(ws, "realm1", service) == "wamp.error.authentication_failed");
  }
  SECTION("ticket: the right ticket joins, a wrong one and anonymous do not") {
    auto app = join(auth_ws, "realm1", service);
    CHECK(authrole(*app) == "backend");
    CHECK(authmethod(*app) == "ticket");
    CHECK(app->session().welcome_details().at("authid") == "service");
    app->stop();
    CHECK(abort_reason(auth_ws, "realm1", {{"ticket"}, "service", "wrong", ""}) == "wamp.error.authentication_failed");
    CHECK(abort_reason(auth_ws, "realm1", {{"ticket"}, "nobody", "s3rvice-t1cket", ""}) ==
          "wamp.error.authentication_failed");
    CHECK(abort_reason(auth_ws, "realm1") == "wamp.error.authentication_failed");
    // The principal names realm1: not valid for realm2.
    CHECK(abort_reason(auth_ws, "realm2", service) == "wamp.error.authentication_failed");
  }
  SECTION("wampcra: the right secret joins, a wrong one does not") {
    auto app = join(cra, "realm1", alice);
    CHECK(authrole(*app) == "frontend");
    CHECK(authmethod(*app) == "wampcra");
    app->stop();
    CHECK(abort_reason(cra, "realm1", {{"wampcra"}, "alice", "", "not-alices-secret"}) ==
          "wamp.error.authentication_failed");
    CHECK(abort_reason(cra, "realm1") == "wamp.error.authentication_failed");
    CHECK(abort_reason(cra, "realm1", {{"ticket"}, "service", "s3rvice-t1cket", ""}) ==
          "wamp.error.authentication_failed");
  }
  SECTION("salted wampcra: the client derives the stored key from its password") {
    auto app = join(cra, "realm1", bob);
    CHECK(authrole(*app) == "frontend");
    app->stop();
    CHECK(abort_reason(cra, "realm1", {{"wampcra"}, "bob", "", "wrong-password"}) == "wamp.error.authentication_failed");
    // The stored key is not the password: a client using it derives another key.
    CHECK(abort_reason(cra, "realm1",
                       {{"wampcra"}, "bob", "", w::auth::wampcra_derive_key("bobs-password", "salt123", 100, 16)}) ==
          "wamp.error.authentication_failed");
  }
  SECTION("rawsocket: anonymous with the role backend, only in realm2") {
    auto app = join(rs, "realm2");
    CHECK(authrole(*app) == "backend");
    app->session().call("wamp.session.count");
    app->stop();
    CHECK(abort_reason(rs, "realm1") == "wamp.error.authentication_failed");
  }
  SECTION("an unknown realm") {
    CHECK(abort_reason(ws, "realm3") == "wamp.error.no_such_realm");
  }
  SECTION("what the router skipped was logged") {
    CHECK(served.ignored.size() == 4);  // controller, options.pythonpath, the static path, serializers
  }
}

TEST_CASE("crossbar config: every permission allows and denies as written", "[crossbar][e2e]") {
  served_config served;
  auto backend = join(served.url.at("/auth_ws"), "realm1", service);
  auto anonymous = join(served.url.at("/ws"), "realm1");
  auto frontend = join(served.url.at("/cra"), "realm1", alice);
  auto& b = backend->session();
  auto& a = anonymous->session();
  auto& f = frontend->session();

  // backend: everything under com.example.
  b.register_procedure("com.example.public.who", echo_caller);
  b.register_procedure("com.example.add2", [](const w::list& args, auto&, auto&) {
    return call_result{{args.at(0).get<int>() + args.at(1).get<int>()}};
  });
  b.register_procedure("com.example.admin.reset", echo_caller);
  CHECK_THROWS_AS(b.register_procedure("org.elsewhere.proc", echo_caller), NotAuthorized);  // no rule

  SECTION("call") {
    CHECK(a.call("com.example.public.who").args == w::list{false, ""});  // anonymous: no disclosure
    CHECK(f.call("com.example.public.who").args == w::list{true, "frontend"});
    CHECK(f.call("com.example.add2", {2, 3}).value() == 5);
    CHECK(b.call("com.example.add2", {4, 5}).value() == 9);
    CHECK(b.call("com.example.admin.reset").args == w::list{true, "backend"});
    CHECK_THROWS_AS(a.call("com.example.add2", {1, 2}), NotAuthorized);    // no rule for anonymous
    CHECK_THROWS_AS(f.call("com.example.admin.reset"), NotAuthorized);    // the longer prefix denies
    CHECK_THROWS_AS(a.call("wamp.session.count"), NotAuthorized);         // meta API needs a rule too
  }
  SECTION("register") {
    auto noop = [](auto&, auto&, auto&) { return call_result{}; };
    CHECK_THROWS_AS(a.register_procedure("com.example.public.mine", noop), NotAuthorized);
    CHECK_THROWS_AS(f.register_procedure("com.example.mine", noop), NotAuthorized);
    CHECK_THROWS_AS(f.register_procedure("com.example.admin.mine", noop), NotAuthorized);
    b.register_procedure("com.example.mine", noop);
  }
  SECTION("publish and subscribe, with the publisher disclosed as the publisher's role says") {
    std::promise<std::vector<std::optional<w::id>>> publishers;
    std::vector<std::optional<w::id>> seen;
    a.subscribe("com.example.public.news", [&](const w::list&, const w::dict&, const event_details& d) {
      seen.push_back(d.publisher);
      if (seen.size() == 2) publishers.set_value(seen);
    });
    b.publish("com.example.public.news", {"from backend"}, {}, acknowledged);
    f.publish("com.example.public.news", {"from frontend"}, {}, acknowledged);
    auto got = publishers.get_future();
    REQUIRE(got.wait_for(10s) == std::future_status::ready);
    const auto order = got.get();
    CHECK(order[0] == std::optional<w::id>(b.id()));  // backend's permission discloses the publisher
    CHECK_FALSE(order[1].has_value());  // frontend's does not

    CHECK_THROWS_AS(a.publish("com.example.public.news", {}, {}, acknowledged), NotAuthorized);
    CHECK_THROWS_AS(f.publish("com.example.admin.alert", {}, {}, acknowledged), NotAuthorized);
    CHECK_THROWS_AS(a.publish("org.elsewhere.topic", {}, {}, acknowledged), NotAuthorized);
    auto ignore = [](auto&, auto&, auto&) {};
    CHECK_THROWS_AS(f.subscribe("com.example.admin.alerts", ignore), NotAuthorized);
    CHECK_THROWS_AS(a.subscribe("com.example.private.topic", ignore), NotAuthorized);
    f.subscribe("com.example.private.topic", ignore);
  }
  SECTION("event history through wamp.subscription.get_events") {
    for (int i = 1; i <= 3; ++i) b.publish("com.example.news", {i}, {}, acknowledged);
    a.subscribe("com.example.news", [](auto&, auto&, auto&) {});
    const auto id = a.call("wamp.subscription.lookup", {"com.example.news"}).value();
    REQUIRE(id.is_number_unsigned());
    const auto events = a.call("wamp.subscription.get_events", {id}).value();
    REQUIRE(events.is_array());
    REQUIRE(events.size() == 2);  // the store keeps the last two; the newest comes first
    CHECK(events[0].at("args") == w::value::array({3}));
    CHECK(events[1].at("args") == w::value::array({2}));
    CHECK(events[0].at("topic") == "com.example.news");
    // Only the topics the store names are kept.
    b.publish("com.example.public.news", {"not kept"}, {}, acknowledged);
    a.subscribe("com.example.public.news", [](auto&, auto&, auto&) {});
    const auto other = a.call("wamp.subscription.lookup", {"com.example.public.news"}).value();
    CHECK(a.call("wamp.subscription.get_events", {other}).value() == w::value::array());
  }
  SECTION("realm2 has its own roles") {
    auto guest = join(served.url.at("/ws"), "realm2");
    auto& g = guest->session();
    g.publish("com.other.topic", {}, {}, acknowledged);
    g.subscribe("com.other.topic", [](auto&, auto&, auto&) {});
    CHECK_THROWS_AS(g.call("com.other.proc"), NotAuthorized);
    CHECK_THROWS_AS(g.register_procedure("com.other.proc", [](auto&, auto&, auto&) { return call_result{}; }),
                    NotAuthorized);
    CHECK_THROWS_AS(g.publish("com.example.public.news", {}, {}, acknowledged), NotAuthorized);
    guest->stop();
  }
  frontend->stop();
  anonymous->stop();
  backend->stop();
}

TEST_CASE("crossbar config: a query string is not part of the path; a websocket transport serves any path",
          "[crossbar][e2e]") {
  // Some clients carry a token in the URL's query; Autobahn's server behind a top-level
  // `websocket` transport does not look at the path at all.
  const auto config = router::router_config_from_crossbar(w::value::parse(R"({"version": 2, "workers": [{
    "type": "router",
    "realms": [{"name": "realm1", "roles": [{"name": "anonymous", "permissions": [
      {"uri": "", "match": "prefix", "allow": {"call": true, "register": true, "publish": true, "subscribe": true}}]}]}],
    "transports": [
      {"type": "web", "endpoint": {"type": "tcp", "interface": "127.0.0.1", "port": 0},
       "paths": {"ws": {"type": "websocket"}}},
      {"type": "websocket", "endpoint": {"type": "tcp", "interface": "127.0.0.1", "port": 0},
       "url": "ws://127.0.0.1:8080/ws"}]}]})"),
                                                          [](const std::string&) {});
  REQUIRE(config.listeners.size() == 2);
  router::router r(config);
  const auto web_port = std::to_string(r.listen(config.listeners[0]));
  const auto websocket_port = std::to_string(r.listen(config.listeners[1]));
  for (const std::string& url : {"ws://127.0.0.1:" + web_port + "/ws?token=abc",
                                "ws://127.0.0.1:" + websocket_port + "/ws",
                                "ws://127.0.0.1:" + websocket_port + "/somewhere/else?x=1"}) {
    CAPTURE(url);
    auto app = join(url, "realm1");
    CHECK(app->session().is_joined());
    app->stop();
  }
  // The web transport's paths stay what they are.
  CHECK_THROWS_AS(join("ws://127.0.0.1:" + web_port + "/other", "realm1"), ConnectionRefusedError);
  r.stop();
}

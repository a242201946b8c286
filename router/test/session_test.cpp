// Joining, leaving and authenticating against the router core.
#include "router/router_core.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "router/test/peer.hpp"
#include "router/uris.hpp"
#include "wamp/auth/cryptosign.hpp"
#include "wamp/auth/wampcra.hpp"

namespace wamp = autobahn_sync::wamp;
namespace router = autobahn_sync::router;
using router::test::peer;

namespace {

router::core_options fixed_options() {
  router::core_options o;
  o.seed = 7;
  o.wall_clock = [] { return std::int64_t{1764039845678}; };
  return o;
}

router::realm_config realm_with_users() {
  router::realm_config r;
  r.name = "realm1";
  r.allow_anonymous = false;
  r.roles = {{"user", {router::permission::allow_all()}}, {"anonymous", {router::permission::allow_all()}}};
  r.users.push_back({"alice", "user", "ticket", "ticket-alice"});
  r.users.push_back({"bob", "user", "wampcra", "secret-bob"});
  router::user carol{"carol", "user", "wampcra", "secret-carol"};
  carol.salt = "salt123";
  carol.iterations = 100;
  carol.keylen = 32;
  r.users.push_back(carol);
  router::user dave{"dave", "user", "cryptosign"};
  dave.public_keys = {wamp::auth::ed25519_key::from_seed(std::string(32, '\x01'))->public_key_hex()};
  r.users.push_back(dave);
  return r;
}

wamp::dict auth_details(const std::string& authid, const std::string& method) {
  return {{"authid", authid}, {"authmethods", wamp::value::array({method})}};
}

}  // namespace

TEST_CASE("an anonymous HELLO is welcomed with the router's roles and the session's identity", "[unit]") {
  router::router_core core(fixed_options());
  core.add_realm({"realm1"});
  peer p(core);
  const auto welcome = p.join();
  CHECK(welcome.session == p.session_id());
  CHECK(wamp::is_valid_id(welcome.session));
  CHECK(welcome.details.at("authrole") == "anonymous");
  CHECK(welcome.details.at("authmethod") == "anonymous");
  CHECK(welcome.details.at("authprovider") == "static");
  CHECK(welcome.details.at("authid").get<std::string>().rfind("anonymous-", 0) == 0);
  CHECK(welcome.details.at("realm") == "realm1");
  const auto& roles = welcome.details.at("roles");
  CHECK(roles["dealer"]["features"]["call_canceling"] == true);
  CHECK(roles["broker"]["features"]["pattern_based_subscription"] == true);
}

TEST_CASE("a HELLO for an unknown realm is aborted with no_such_realm", "[unit]") {
  router::router_core core(fixed_options());
  core.add_realm({"realm1"});
  peer p(core);
  p.send(wamp::hello{"nowhere", {{"roles", router::test::all_client_roles()}}});
  CHECK(p.expect<wamp::abort>().reason == router::uris::no_such_realm);
  // The transport stays usable for another HELLO.
  p.join();
}

TEST_CASE("messages in the wrong phase are protocol violations", "[unit]") {
  router::router_core core(fixed_options());
  core.add_realm({"realm1"});
  peer p(core);
  SECTION("a CALL before HELLO") { p.send(wamp::call{1, {}, "a.b"}); }
  SECTION("a WELCOME from a client") {
    p.join();
    p.send(wamp::welcome{1, {}});
  }
  SECTION("a second HELLO") {
    p.join();
    p.send(wamp::hello{"realm1", {}});
  }
  SECTION("an ERROR answering a CALL") {
    p.join();
    p.send(wamp::error{wamp::message_type::call, 1, {}, "x.y"});
  }
  SECTION("a request id reused while its call is pending") {
    peer callee(core);
    callee.join();
    callee.send(wamp::register_{1, {}, "a.b"});
    callee.expect<wamp::registered>();
    p.join();
    p.send(wamp::call{5, {}, "a.b"});
    p.send(wamp::call{5, {}, "a.b"});
  }
  CHECK(p.expect<wamp::abort>().reason == router::uris::protocol_violation);
  CHECK(p.closed);
}

TEST_CASE("bad bytes from a connection abort its session", "[unit]") {
  router::router_core core(fixed_options());
  core.add_realm({"realm1"});
  peer p(core);
  p.join();
  core.receive_bad(p.session_id(), "not JSON");
  const auto abort = p.expect<wamp::abort>();
  CHECK(abort.reason == router::uris::protocol_violation);
  CHECK(abort.details.at("message") == "not JSON");
  CHECK(p.closed);
}

TEST_CASE("GOODBYE is answered with goodbye_and_out", "[unit]") {
  router::router_core core(fixed_options());
  auto& realm = core.add_realm({"realm1"});
  peer p(core);
  p.join();
  CHECK(realm.sessions().size() == 1);
  p.send(wamp::goodbye{{}, router::uris::close_normal});
  CHECK(p.expect<wamp::goodbye>().reason == router::uris::goodbye_and_out);
  CHECK(realm.sessions().empty());
}

TEST_CASE("ticket authentication", "[unit]") {
  router::router_core core(fixed_options());
  core.add_realm(realm_with_users());
  peer p(core);
  auto details = auth_details("alice", "ticket");
  details["roles"] = router::test::all_client_roles();
  p.send(wamp::hello{"realm1", details});
  CHECK(p.expect<wamp::challenge>().authmethod == "ticket");
  SECTION("the right ticket") {
    p.send(wamp::authenticate{"ticket-alice", {}});
    const auto welcome = p.expect<wamp::welcome>();
    CHECK(welcome.details.at("authid") == "alice");
    CHECK(welcome.details.at("authrole") == "user");
    CHECK(welcome.details.at("authmethod") == "ticket");
  }
  SECTION("a wrong ticket says only authentication_failed") {
    p.send(wamp::authenticate{"ticket-alicf", {}});
    const auto abort = p.expect<wamp::abort>();
    CHECK(abort.reason == router::uris::authentication_failed);
    CHECK(abort.details.empty());
  }
}

TEST_CASE("an unknown user, or a user asking for another method, fails the same way", "[unit]") {
  router::router_core core(fixed_options());
  core.add_realm(realm_with_users());
  peer p(core);
  auto details = GENERATE(auth_details("mallory", "ticket"), auth_details("alice", "wampcra"),
                          auth_details("", "anonymous"));
  details["roles"] = router::test::all_client_roles();
  p.send(wamp::hello{"realm1", details});
  CHECK(p.expect<wamp::abort>().reason == router::uris::authentication_failed);
}

TEST_CASE("WAMP-CRA, plain and salted", "[unit]") {
  router::router_core core(fixed_options());
  core.add_realm(realm_with_users());
  peer p(core);
  const bool salted = GENERATE(false, true);
  const std::string authid = salted ? "carol" : "bob";
  auto details = auth_details(authid, "wampcra");
  details["roles"] = router::test::all_client_roles();
  p.send(wamp::hello{"realm1", details});
  const auto challenge = p.expect<wamp::challenge>();
  REQUIRE(challenge.authmethod == "wampcra");
  const auto text = challenge.extra.at("challenge").get<std::string>();
  const auto parsed = wamp::value::parse(text);
  CHECK(parsed["authid"] == authid);
  CHECK(parsed["session"] == p.session_id());
  CHECK(parsed["timestamp"] == "2025-11-25T03:04:05.678Z");
  std::string key = salted ? "secret-carol" : "secret-bob";
  if (salted) {
    CHECK(challenge.extra.at("salt") == "salt123");
    CHECK(challenge.extra.at("iterations") == 100);
    CHECK(challenge.extra.at("keylen") == 32);
    key = wamp::auth::wampcra_derive_key(key, "salt123", 100, 32);
  } else {
    CHECK_FALSE(challenge.extra.count("salt"));
  }
  SECTION("the right signature") {
    p.send(wamp::authenticate{wamp::auth::wampcra_signature(key, text), {}});
    CHECK(p.expect<wamp::welcome>().details.at("authmethod") == "wampcra");
  }
  SECTION("a wrong signature") {
    p.send(wamp::authenticate{wamp::auth::wampcra_signature(key + "x", text), {}});
    CHECK(p.expect<wamp::abort>().reason == router::uris::authentication_failed);
  }
}

TEST_CASE("a WAMP-CRA challenge answers once and expires", "[unit]") {
  std::int64_t wall = 1764039845678;
  auto options = fixed_options();
  options.wall_clock = [&] { return wall; };
  router::router_core core(options);
  core.add_realm(realm_with_users());
  peer p(core);
  auto details = auth_details("bob", "wampcra");
  details["roles"] = router::test::all_client_roles();
  p.send(wamp::hello{"realm1", details});
  const auto text = p.expect<wamp::challenge>().extra.at("challenge").get<std::string>();
  wall += router::static_authenticator::challenge_lifetime_ms + 1;
  p.send(wamp::authenticate{wamp::auth::wampcra_signature("secret-bob", text), {}});
  CHECK(p.expect<wamp::abort>().reason == router::uris::authentication_failed);
  // Replaying the answer in a new HELLO does not work either: the challenge is new.
  p.send(wamp::hello{"realm1", details});
  const auto text2 = p.expect<wamp::challenge>().extra.at("challenge").get<std::string>();
  CHECK(text2 != text);
  p.send(wamp::authenticate{wamp::auth::wampcra_signature("secret-bob", text), {}});
  CHECK(p.expect<wamp::abort>().reason == router::uris::authentication_failed);
}

TEST_CASE("cryptosign", "[unit]") {
  router::router_core core(fixed_options());
  core.add_realm(realm_with_users());
  peer p(core);
  const auto key = *wamp::auth::ed25519_key::from_seed(std::string(32, '\x01'));
  auto details = auth_details("dave", "cryptosign");
  details["authextra"] = {{"pubkey", key.public_key_hex()}};
  details["roles"] = router::test::all_client_roles();
  p.send(wamp::hello{"realm1", details});
  const auto challenge = p.expect<wamp::challenge>();
  REQUIRE(challenge.authmethod == "cryptosign");
  const auto hex = challenge.extra.at("challenge").get<std::string>();
  CHECK(hex.size() == 64);
  SECTION("signed by the registered key") {
    p.send(wamp::authenticate{*key.sign_challenge(hex), {}});
    const auto welcome = p.expect<wamp::welcome>();
    CHECK(welcome.details.at("authid") == "dave");
    CHECK(welcome.details.at("authmethod") == "cryptosign");
  }
  SECTION("signed by another key") {
    const auto other = *wamp::auth::ed25519_key::from_seed(std::string(32, '\x02'));
    p.send(wamp::authenticate{*other.sign_challenge(hex), {}});
    CHECK(p.expect<wamp::abort>().reason == router::uris::authentication_failed);
  }
}

TEST_CASE("cryptosign binds the answer to the announced key, whatever the case of its hex", "[unit]") {
  const auto first = *wamp::auth::ed25519_key::from_seed(std::string(32, '\x03'));
  const auto second = *wamp::auth::ed25519_key::from_seed(std::string(32, '\x04'));
  auto upper = [](std::string hex) {
    std::transform(hex.begin(), hex.end(), hex.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return hex;
  };
  router::realm_config r = realm_with_users();
  router::user erin{"erin", "user", "cryptosign"};
  erin.public_keys = {upper(first.public_key_hex()), second.public_key_hex()};  // as configured
  r.users.push_back(erin);
  router::router_core core(fixed_options());
  core.add_realm(r);
  peer p(core);
  auto hello = [&](const std::string& pubkey) {
    auto details = auth_details("erin", "cryptosign");
    if (!pubkey.empty()) details["authextra"] = {{"pubkey", pubkey}};
    details["roles"] = router::test::all_client_roles();
    p.send(wamp::hello{"realm1", details});
    return p.expect<wamp::challenge>().extra.at("challenge").get<std::string>();
  };
  SECTION("a key announced in lower case matches one configured in upper case, and back") {
    p.send(wamp::authenticate{*first.sign_challenge(hello(first.public_key_hex())), {}});
    CHECK(p.expect<wamp::welcome>().details.at("authid") == "erin");
    peer q(core);
    auto details = auth_details("", "cryptosign");
    details.erase("authid");
    details["authextra"] = {{"pubkey", upper(second.public_key_hex())}};
    q.send(wamp::hello{"realm1", details});
    const auto text = q.expect<wamp::challenge>().extra.at("challenge").get<std::string>();
    q.send(wamp::authenticate{*second.sign_challenge(text), {}});
    CHECK(q.expect<wamp::welcome>().details.at("authid") == "erin");
  }
  SECTION("an answer signed by another of the user's keys than the announced one fails") {
    p.send(wamp::authenticate{*second.sign_challenge(hello(first.public_key_hex())), {}});
    CHECK(p.expect<wamp::abort>().reason == router::uris::authentication_failed);
  }
  SECTION("without an announced key, any of the user's keys will do") {
    p.send(wamp::authenticate{*second.sign_challenge(hello("")), {}});
    CHECK(p.expect<wamp::welcome>().details.at("authid") == "erin");
  }
}

TEST_CASE("an authenticator that throws refuses the peer, and the log says why", "[unit]") {
  std::vector<std::string> lines;
  auto o = fixed_options();
  o.log = [&](const std::string& line) { lines.push_back(line); };
  router::router_core core(o);
  auto& realm = core.add_realm({"realm1"});
  realm.set_authenticator(std::make_shared<router::authenticator_functions>(
      [](const router::hello_request& h) -> router::auth_decision {
        if (!h.authextra.count("token")) throw std::out_of_range("no token in authextra");
        return router::auth_decision::challenge("x-custom", {});
      },
      [](const router::hello_request&, const wamp::authenticate&) -> router::auth_decision {
        throw std::runtime_error("the token store is down");
      }));
  peer p(core);
  SECTION("on HELLO") {
    p.send(wamp::hello{"realm1", {{"authid", "zed"}}});
    CHECK(p.expect<wamp::abort>().reason == router::uris::authentication_failed);
    CHECK(std::count(lines.begin(), lines.end(),
                     "authenticator failed: session=" + std::to_string(p.session_id()) + ": no token in authextra") == 1);
  }
  SECTION("on AUTHENTICATE") {
    p.send(wamp::hello{"realm1", {{"authid", "zed"}, {"authextra", {{"token", "t"}}}}});
    p.expect<wamp::challenge>();
    p.send(wamp::authenticate{"42", {}});
    CHECK(p.expect<wamp::abort>().reason == router::uris::authentication_failed);
    CHECK(std::count(lines.begin(), lines.end(),
                     "authenticator failed: session=" + std::to_string(p.session_id()) + ": the token store is down") == 1);
  }
  peer other(core);  // the router serves on
  other.send(wamp::hello{"realm1", {{"authextra", {{"token", "t"}}}}});
  other.expect<wamp::challenge>();
}

TEST_CASE("a dynamic authenticator decides any HELLO's fate", "[unit]") {
  router::router_core core(fixed_options());
  auto& realm = core.add_realm({"realm1"});
  realm.set_authenticator(std::make_shared<router::authenticator_functions>(
      [](const router::hello_request& h) {
        if (h.authid == "banned") return router::auth_decision::abort("com.example.banned", "go away");
        return router::auth_decision::challenge("x-custom", {{"question", "6*7"}});
      },
      [](const router::hello_request& h, const wamp::authenticate& a) {
        if (a.signature != "42") return router::auth_decision::abort(router::uris::authentication_failed);
        return router::auth_decision::welcome(h.authid, "calculator", "x-custom", "test", {{"answered", true}});
      }));
  peer p(core);
  SECTION("abort with a chosen reason") {
    p.send(wamp::hello{"realm1", {{"authid", "banned"}}});
    const auto abort = p.expect<wamp::abort>();
    CHECK(abort.reason == "com.example.banned");
    CHECK(abort.details.at("message") == "go away");
  }
  SECTION("challenge, then accept") {
    p.send(wamp::hello{"realm1", {{"authid", "zed"}}});
    const auto challenge = p.expect<wamp::challenge>();
    CHECK(challenge.authmethod == "x-custom");
    CHECK(challenge.extra.at("question") == "6*7");
    p.send(wamp::authenticate{"42", {}});
    const auto welcome = p.expect<wamp::welcome>();
    CHECK(welcome.details.at("authrole") == "calculator");
    CHECK(welcome.details.at("authprovider") == "test");
    CHECK(welcome.details.at("authextra").at("answered") == true);
  }
  SECTION("challenge, then reject") {
    p.send(wamp::hello{"realm1", {{"authid", "zed"}}});
    p.expect<wamp::challenge>();
    p.send(wamp::authenticate{"41", {}});
    CHECK(p.expect<wamp::abort>().reason == router::uris::authentication_failed);
  }
}

TEST_CASE("a role the realm does not know is aborted with no_such_role", "[unit]") {
  router::router_core core(fixed_options());
  router::realm_config config{"realm1"};
  config.roles = {{"user", {router::permission::allow_all()}}};
  config.anonymous_role = "guest";
  core.add_realm(config);
  peer p(core);
  p.send(wamp::hello{"realm1", {}});
  CHECK(p.expect<wamp::abort>().reason == router::uris::no_such_role);
}

TEST_CASE("removing a realm says GOODBYE to its sessions", "[unit]") {
  router::router_core core(fixed_options());
  core.add_realm({"realm1"});
  peer p(core);
  p.join();
  CHECK(core.remove_realm("realm1"));
  CHECK(p.expect<wamp::goodbye>().reason == router::uris::close_realm);
  CHECK_FALSE(core.remove_realm("realm1"));
}

TEST_CASE("shutdown says GOODBYE to established sessions and closes every connection", "[unit]") {
  router::router_core core(fixed_options());
  core.add_realm({"realm1"});
  peer joined(core);
  joined.join();
  peer idle(core);
  core.shutdown(router::uris::system_shutdown);
  CHECK(joined.expect<wamp::goodbye>().reason == router::uris::system_shutdown);
  CHECK(joined.closed);
  CHECK(idle.closed);
  idle.expect_nothing();
}

TEST_CASE("the same seed gives the same session ids", "[unit]") {
  auto ids = [] {
    router::router_core core(fixed_options());
    core.add_realm({"realm1"});
    peer a(core), b(core);
    return std::make_pair(a.join().session, b.join().session);
  };
  CHECK(ids() == ids());
}

TEST_CASE("a connection that does not join in time is aborted and closed", "[unit]") {
  std::chrono::steady_clock::time_point now{};
  auto options = fixed_options();
  options.clock = [&] { return now; };
  options.limits.join_timeout = std::chrono::seconds(5);
  router::router_core core(options);
  core.add_realm(realm_with_users());
  peer silent(core), slow(core), quick(core);
  auto details = auth_details("alice", "ticket");
  slow.send(wamp::hello{"realm1", details});
  slow.expect<wamp::challenge>();  // and never answers
  quick.send(wamp::hello{"realm1", details});
  quick.expect<wamp::challenge>();
  quick.send(wamp::authenticate{"ticket-alice", {}});
  quick.expect<wamp::welcome>();
  REQUIRE(core.next_deadline() == now + std::chrono::seconds(5));
  now += std::chrono::seconds(5);
  core.expire();
  CHECK(silent.expect<wamp::abort>().reason == router::uris::timeout);
  CHECK(silent.closed);
  CHECK(slow.expect<wamp::abort>().reason == router::uris::timeout);
  CHECK(slow.closed);
  quick.expect_nothing();
  CHECK_FALSE(quick.closed);
}

TEST_CASE("connections past the limit are closed at once", "[unit]") {
  auto options = fixed_options();
  options.limits.max_connections = 2;
  router::router_core core(options);
  core.add_realm({"realm1"});
  peer a(core), b(core), c(core);
  CHECK_FALSE(a.closed);
  CHECK_FALSE(b.closed);
  CHECK(c.closed);
  c.send(wamp::hello{"realm1", {}});
  c.expect_nothing();
}

TEST_CASE("a listener's own authentication replaces the realm's", "[unit]") {
  router::router_core core(fixed_options());
  core.add_realm(realm_with_users());  // the realm itself refuses anonymous
  auto open_path = std::make_shared<router::transport_auth>();
  open_path->allow_anonymous = true;
  auto ticket_path = std::make_shared<router::transport_auth>();
  ticket_path->users.push_back({"joe", "user", "ticket", "joe-ticket", {}, 1000, 32, {}, "realm1"});
  ticket_path->users.push_back({"zoe", "user", "ticket", "zoe-ticket", {}, 1000, 32, {}, "other-realm"});

  std::deque<wamp::message> inbox;
  auto attach = [&](std::shared_ptr<const router::transport_auth> auth) {
    return core.attach({[&](wamp::message&& m) { inbox.push_back(std::move(m)); }, [] {}}, {}, std::move(auth));
  };
  auto next = [&] {
    REQUIRE_FALSE(inbox.empty());
    auto m = std::move(inbox.front());
    inbox.pop_front();
    return m;
  };
  const auto anonymous = attach(open_path);
  core.receive(anonymous, wamp::hello{"realm1", {}});
  CHECK(std::get<wamp::welcome>(next()).details.at("authrole") == "anonymous");

  const auto joe = attach(ticket_path);
  core.receive(joe, wamp::hello{"realm1", auth_details("joe", "ticket")});
  REQUIRE(std::holds_alternative<wamp::challenge>(next()));
  core.receive(joe, wamp::authenticate{"joe-ticket", {}});
  CHECK(std::get<wamp::welcome>(next()).details.at("authid") == "joe");

  // alice is a realm user, not a user of this path; zoe belongs to another realm.
  for (const char* who : {"alice", "zoe"}) {
    const auto c = attach(ticket_path);
    core.receive(c, wamp::hello{"realm1", auth_details(who, "ticket")});
    CHECK(std::get<wamp::abort>(next()).reason == router::uris::authentication_failed);
  }
  core.detach(anonymous);
  core.detach(joe);
}

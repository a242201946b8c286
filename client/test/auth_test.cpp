// Joining: what the client puts into HELLO, each authentication method against the fixture's
// router (ticket, WAMP-CRA, salted WAMP-CRA, cryptosign, on_challenge), and the ways a join
// fails (ABORT for an unknown realm, wrong credentials, a challenge the client cannot answer).
#include "client/autobahn_sync.hpp"

#include <atomic>

#include <catch2/catch.hpp>

#include "client/test/trace_messages.hpp"
#include "testing/eventually.hpp"
#include "testing/matchers.hpp"
#include "testing/wamp_fixture.hpp"
#include "wamp/auth/cryptosign.hpp"

using namespace autobahn_sync;
namespace w = autobahn_sync::wamp;
namespace testing = autobahn_sync::testing;
using test::received_by;
using test::sent_by;

namespace {

const std::string signer_seed(64, '1');

// A realm closed to anonymous sessions: one user per authentication method, all with the
// role "user", which may do anything under com.app. and nothing elsewhere.
testing::fixture_options secured(const w::serializer* serializer = &w::json_serializer()) {
  testing::fixture_options o;
  o.serializer = serializer;
  auto& r = o.realm;
  r.name = "secure";
  r.allow_anonymous = false;
  router::role user_role{"user", {}};
  router::permission p;
  p.uri = "com.app.";
  p.match = w::match_policy::prefix;
  p.allow_call = p.allow_register = p.allow_publish = p.allow_subscribe = true;
  user_role.permissions.push_back(p);
  r.roles.push_back(user_role);
  r.users.push_back(router::user{"ticket_user", "user", "ticket", "t1cket"});
  r.users.push_back(router::user{"joe", "user", "ticket", "s3cret"});
  r.users.push_back(router::user{"cra_user", "user", "wampcra", "s3cret"});
  router::user salted{"salty", "user", "wampcra", "pepper"};
  salted.salt = "salt123";
  salted.iterations = 100;
  r.users.push_back(salted);
  router::user signer{"signer", "user", "cryptosign"};
  signer.public_keys.push_back(w::auth::ed25519_key::from_seed_hex(signer_seed)->public_key_hex());
  r.users.push_back(signer);
  return o;
}

struct secured_fixture : testing::wamp_fixture {
  secured_fixture() : wamp_fixture(secured()) {}
};

}  // namespace

TEST_CASE_METHOD(secured_fixture, "constructor authmethods and run's auth arguments go into HELLO", "[client][auth]") {
  AutobahnSync app({"ticket"}, options_for("app"));
  app.on_challenge([](const w::challenge&) { return w::authenticate{"s3cret", {}}; });
  app.run(default_url, "secure", {}, "joe", "user", {{"k", "v"}});
  auto hello = sent_by<w::hello>(*this, "app").at(0);
  CHECK(hello.details["authmethods"] == w::value::array({"ticket"}));
  CHECK(hello.details["authid"] == "joe");
  CHECK(hello.details["authrole"] == "user");
  CHECK(hello.details["authextra"]["k"] == "v");
  CHECK(sent_by<w::authenticate>(*this, "app").at(0).signature == "s3cret");
  CHECK_THROWS_AS(app.on_challenge({}), AlreadyRunningError);
  app.stop();
}

TEST_CASE_METHOD(secured_fixture, "the default instance answers challenges through the free on_challenge", "[client][auth]") {
  default_app().options() = options_for("default");
  autobahn_sync::on_challenge([](const w::challenge& c) {
    CHECK(c.authmethod == "ticket");
    return w::authenticate{"s3cret", {}};
  });
  autobahn_sync::run(default_url, "secure", {"ticket"}, "joe");
  CHECK(autobahn_sync::session().is_joined());
  CHECK(sent_by<w::authenticate>(*this, "default").at(0).signature == "s3cret");
  CHECK_THROWS_AS(autobahn_sync::on_challenge({}), AlreadyRunningError);
  autobahn_sync::stop();
}

TEST_CASE_METHOD(secured_fixture, "the built-in ticket answer uses client_options::ticket", "[client][auth]") {
  auto o = options_for("app");
  o.ticket = "t1cket";
  AutobahnSync app({"ticket"}, o);
  app.run(default_url, "secure", {}, "ticket_user");
  CHECK(sent_by<w::authenticate>(*this, "app").at(0).signature == "t1cket");
  app.stop();
}

TEST_CASE("authentication: ticket, WAMP-CRA, salted WAMP-CRA, cryptosign", "[client][auth]") {
  testing::wamp_fixture f(secured(GENERATE(&w::json_serializer(), &w::msgpack_serializer())));
  auto o = f.options_for("app");
  std::string authid, method;
  SECTION("ticket") {
    authid = "ticket_user", method = "ticket";
    o.ticket = "t1cket";
  }
  SECTION("wampcra") {
    authid = "cra_user", method = "wampcra";
    o.secret = "s3cret";
  }
  SECTION("salted wampcra") {
    authid = "salty", method = "wampcra";
    o.secret = "pepper";
  }
  SECTION("cryptosign") {
    authid = "signer", method = "cryptosign";
    o.private_key = signer_seed;
  }
  AutobahnSync app({method}, o);
  app.run(default_url, "secure", {}, authid);
  CHECK(app.session().welcome_details().at("authid") == authid);
  CHECK(app.session().welcome_details().at("authrole") == "user");
  // Authorized under com.app., not elsewhere.
  app.session().publish("com.app.ok", {}, {}, publish_options{.acknowledge = true});
  CHECK_THROWS_AS(app.session().publish("com.other", {}, {}, publish_options{.acknowledge = true}), NotAuthorized);
  app.stop();
}

TEST_CASE_METHOD(secured_fixture, "on_challenge answers any method", "[client][auth]") {
  AutobahnSync app({"ticket"}, options_for("app"));
  std::atomic<int> challenges{0};
  app.on_challenge([&](const w::challenge&) {
    ++challenges;
    return w::authenticate{"t1cket", {}};
  });
  app.run(default_url, "secure", {}, "ticket_user");
  CHECK(challenges == 1);
  app.stop();
}

TEST_CASE_METHOD(secured_fixture, "wrong credentials abort the join", "[client][auth]") {
  auto o = options_for("app");
  o.ticket = "wrong";
  AutobahnSync app({"ticket"}, o);
  CHECK_THROWS_AS(app.run(default_url, "secure", {}, "ticket_user"), AbortError);
  CHECK_FALSE(app.running());
}

TEST_CASE_METHOD(secured_fixture, "a challenge without an answer aborts the join", "[client][auth]") {
  AutobahnSync app({"wampcra"}, options_for("app"));  // no secret, no on_challenge
  CHECK_THROWS_AS(app.run(default_url, "secure", {}, "cra_user"), AbortError);
  CHECK(received_by<w::challenge>(*this, "app").size() == 1);
  REQUIRE(testing::eventually([&] { return !sent_by<w::abort>(*this, "app").empty(); }));
  CHECK(sent_by<w::abort>(*this, "app").at(0).reason == "wamp.error.cannot_authenticate");
}

TEST_CASE_METHOD(testing::wamp_fixture, "ABORT on join makes run throw AbortError", "[client]") {
  AutobahnSync app({}, options_for("app"));
  try {
    app.run(default_url, "no.such.realm");
    FAIL("run returned");
  } catch (const AbortError& e) {
    CHECK(e.reason() == "wamp.error.no_such_realm");
    // The details travel with the exception.
    const auto abort = received_by<w::abort>(*this, "app");
    REQUIRE(abort.size() == 1);
    CHECK(e.details() == abort[0].details);
    CHECK(e.details().at("message").get<std::string>().find("no.such.realm") != std::string::npos);
  }
  CHECK_FALSE(app.running());
  CHECK_THROWS_AS(app.session(), NotRunningError);
}

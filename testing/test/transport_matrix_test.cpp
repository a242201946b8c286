// The router's broker, dealer and authentication features, driven by the project's client,
// over every transport (in-process, RawSocket and WebSocket on 127.0.0.1) and serializer
// (JSON, MsgPack): each scenario runs six times through one GENERATE.
#include <atomic>
#include <future>
#include <thread>

#include <catch2/catch.hpp>

#include "testing/matchers.hpp"
#include "testing/recorder.hpp"
#include "testing/wamp_fixture.hpp"
#include "wamp/auth/cryptosign.hpp"

namespace wamp = autobahn_sync::wamp;
namespace testing = autobahn_sync::testing;
namespace router = autobahn_sync::router;
using namespace autobahn_sync;
using namespace std::chrono_literals;
using testing::match;
namespace fault = testing::fault;

namespace {

testing::transport_variant any_transport() {
  return GENERATE(from_range(testing::all_transports()));
}

procedure_handler echo() {
  return [](const wamp::list& args, const wamp::dict& kwargs, const invocation_details&) {
    return call_result{args, kwargs};
  };
}

const std::string cryptosign_seed(64, '7');

// A realm where every method has a user, and authorization is by role.
router::realm_config secured_realm() {
  router::realm_config r;
  r.name = "secure";
  r.allow_anonymous = false;
  router::permission app;
  app.uri = "com.app.";
  app.match = wamp::match_policy::prefix;
  app.allow_call = app.allow_register = app.allow_publish = app.allow_subscribe = true;
  r.roles.push_back({"user", {app}});
  r.users.push_back({.authid = "tim", .role = "user", .method = "ticket", .secret = "t1cket"});
  r.users.push_back({.authid = "cara", .role = "user", .method = "wampcra", .secret = "s3cret"});
  r.users.push_back({.authid = "sally", .role = "user", .method = "wampcra",
                     .secret = "pepper",  // the router derives the key from salt and iterations
                     .salt = "salt123", .iterations = 100, .keylen = 32});
  r.users.push_back({.authid = "sig", .role = "user", .method = "cryptosign",
                     .public_keys = {wamp::auth::ed25519_key::from_seed_hex(cryptosign_seed)->public_key_hex()}});
  return r;
}

}  // namespace

TEST_CASE("RPC over every transport and serializer", "[integration][matrix]") {
  const auto variant = any_transport();
  INFO(variant.name());
  testing::wamp_fixture f(variant.apply());
  auto& callee = f.session("callee");
  auto& caller = f.session("caller");
  callee.register_procedure("com.app.echo", echo());

  SECTION("args and kwargs of every JSON type, binary and unicode, round-trip") {
    const wamp::list args{1, -2, 3.5, true, nullptr, "h\xc3\xa9llo \xe2\x9c\x93",
                          wamp::value::binary({0, 1, 254, 255}), wamp::list{1, wamp::list{2}},
                          wamp::dict{{"a", wamp::dict{{"b", 1}}}}};
    const auto r = caller.call("com.app.echo", args, {{"k", "v"}, {"n", 18446744073709551615ull}});
    CHECK(r.args == args);
    CHECK(r.kwargs.at("k") == "v");
    CHECK(r.kwargs.at("n") == 18446744073709551615ull);
  }
  SECTION("a 64 KiB payload") {
    const std::string big(64 * 1024, 'x');
    CHECK(caller.call("com.app.echo", {big}).value() == big);
  }
  SECTION("an ERROR from the callee keeps its URI, args and kwargs") {
    callee.register_procedure("com.app.fail", [](const wamp::list&, const wamp::dict&,
                                                 const invocation_details&) -> call_result {
      throw ApplicationError("com.app.error.bad", {"why", 2}, {{"field", "x"}});
    });
    try {
      caller.call("com.app.fail");
      FAIL("the call should have thrown");
    } catch (const ApplicationError& e) {
      CHECK(e.error() == "com.app.error.bad");
      CHECK(e.args() == wamp::list{"why", 2});
      CHECK(e.kwargs().at("field") == "x");
    }
  }
  SECTION("a missing procedure is wamp.error.no_such_procedure") {
    CHECK_THROWS_MATCHES(caller.call("com.app.missing"), ApplicationError,
                         testing::has_error_uri("wamp.error.no_such_procedure"));
  }
  SECTION("progressive results arrive in order before the final one") {
    callee.register_procedure("com.app.count", [](const wamp::list& a, const wamp::dict&,
                                                  const invocation_details& d) {
      for (int i = 0; i < a.at(0).get<int>(); ++i) d.progress({i}, {});
      return call_result{{"done"}};
    });
    std::vector<int> seen;
    call_options o;
    o.on_progress = [&](const call_result& r) { seen.push_back(r.value().get<int>()); };
    CHECK(caller.call("com.app.count", {5}, {}, o).value() == "done");
    CHECK(seen == std::vector<int>{0, 1, 2, 3, 4});
  }
  SECTION("cancel (kill) interrupts the callee and fails the call with wamp.error.canceled") {
    std::promise<void> started;
    std::atomic<bool> saw_cancel{false};
    callee.register_procedure("com.app.long", [&](const wamp::list&, const wamp::dict&,
                                                  const invocation_details& d) {
      started.set_value();
      const auto hang_guard = std::chrono::steady_clock::now() + 10s;
      while (!d.canceled() && std::chrono::steady_clock::now() < hang_guard) std::this_thread::yield();
      saw_cancel = d.canceled();
      return call_result{};
    });
    auto canceller = std::make_shared<call_canceller>();
    std::thread cancel_when_started([&] {
      started.get_future().wait_for(10s);
      canceller->cancel("kill");
    });
    call_options o;
    o.canceller = canceller;
    CHECK_THROWS_MATCHES(caller.call("com.app.long", {}, {}, o), ApplicationError,
                         testing::has_error_uri("wamp.error.canceled"));
    cancel_when_started.join();
    f.stop_clients();  // waits for the callee's handler to finish
    CHECK(saw_cancel);
  }
  SECTION("prefix and wildcard registrations see the concrete procedure") {
    auto reply_with_procedure = [](const wamp::list&, const wamp::dict&, const invocation_details& d) {
      return call_result{{d.procedure}};
    };
    callee.register_procedure("com.app.math.", reply_with_procedure, register_options{.match = "prefix"});
    callee.register_procedure("com.app..op", reply_with_procedure, register_options{.match = "wildcard"});
    CHECK(caller.call("com.app.math.sqrt").value() == "com.app.math.sqrt");
    CHECK(caller.call("com.app.x.op").value() == "com.app.x.op");
    CHECK(caller.call("com.app.math.op").value() == "com.app.math.op");  // prefix beats wildcard
  }
  SECTION("a shared roundrobin registration alternates between callees") {
    auto answer = [](std::string who) {
      return [who](const wamp::list&, const wamp::dict&, const invocation_details&) { return call_result{{who}}; };
    };
    f.session("a").register_procedure("com.app.rr", answer("a"), register_options{.invoke = "roundrobin"});
    f.session("b").register_procedure("com.app.rr", answer("b"), register_options{.invoke = "roundrobin"});
    const auto first = caller.call("com.app.rr").value();
    const auto second = caller.call("com.app.rr").value();
    CHECK(first != second);
    CHECK(caller.call("com.app.rr").value() == first);
  }
  SECTION("disclose_me tells the callee who called") {
    callee.register_procedure("com.app.who", [](const wamp::list&, const wamp::dict&, const invocation_details& d) {
      return call_result{{d.caller.value_or(0)}};
    });
    call_options o;
    o.disclose_me = true;
    CHECK(caller.call("com.app.who", {}, {}, o).value() == caller.id());
  }
}

TEST_CASE("publish and subscribe over every transport and serializer", "[integration][matrix]") {
  const auto variant = any_transport();
  INFO(variant.name());
  testing::wamp_fixture f(variant.apply());
  auto& listener = f.session("listener");
  auto& talker = f.session("talker");
  testing::event_recorder events;

  SECTION("acknowledged events arrive in order with their payload") {
    auto sub = listener.subscribe("com.app.tick", events.handler());
    for (int i = 0; i < 5; ++i)
      CHECK(talker.publish("com.app.tick", {i}, {{"n", i}}, publish_options{.acknowledge = true}).has_value());
    REQUIRE(events.wait_for(5));
    const auto got = events.items();
    for (int i = 0; i < 5; ++i) {
      CHECK(got[i].args == wamp::list{i});
      CHECK(got[i].kwargs.at("n") == i);
    }
  }
  SECTION("the publisher is excluded unless exclude_me is false") {
    testing::event_recorder own;
    auto sub = talker.subscribe("com.app.self", own.handler());
    auto other = listener.subscribe("com.app.self", events.handler());
    talker.publish("com.app.self", {"excluded"}, {}, publish_options{.acknowledge = true});
    talker.publish("com.app.self", {"included"}, {}, publish_options{.acknowledge = true, .exclude_me = false});
    REQUIRE(events.wait_for(2));
    REQUIRE(own.wait_for(1));
    CHECK(own.items().at(0).args == wamp::list{"included"});
  }
  SECTION("eligible and exclude pick receivers by session id") {
    testing::event_recorder second;
    auto s1 = listener.subscribe("com.app.pick", events.handler());
    auto& other = f.session("other");
    auto s2 = other.subscribe("com.app.pick", second.handler());
    talker.publish("com.app.pick", {"to listener"}, {},
                   publish_options{.acknowledge = true, .eligible = {listener.id()}});
    talker.publish("com.app.pick", {"not to listener"}, {},
                   publish_options{.acknowledge = true, .exclude = {listener.id()}});
    REQUIRE(events.wait_for(1));
    REQUIRE(second.wait_for(1));
    // A final event to both proves nothing else was on its way.
    talker.publish("com.app.pick", {"both"}, {}, publish_options{.acknowledge = true});
    REQUIRE(events.wait_for(2));
    REQUIRE(second.wait_for(2));
    CHECK(events.items().at(0).args == wamp::list{"to listener"});
    CHECK(second.items().at(0).args == wamp::list{"not to listener"});
  }
  SECTION("pattern subscriptions see the concrete topic; disclose_me the publisher") {
    auto prefix = listener.subscribe("com.app.sensor.", events.handler(), subscribe_options{.match = "prefix"});
    talker.publish("com.app.sensor.temp", {21}, {}, publish_options{.acknowledge = true, .disclose_me = true});
    REQUIRE(events.wait_for(1));
    const auto e = events.items().at(0);
    CHECK(e.details.topic == "com.app.sensor.temp");
    CHECK(e.details.publisher == talker.id());
  }
  SECTION("after unsubscribe no event arrives") {
    testing::event_recorder stays;
    auto sub = listener.subscribe("com.app.t", events.handler());
    auto witness = f.session("witness").subscribe("com.app.t", stays.handler());
    talker.publish("com.app.t", {1}, {}, publish_options{.acknowledge = true});
    REQUIRE(events.wait_for(1));
    sub.unsubscribe();
    talker.publish("com.app.t", {2}, {}, publish_options{.acknowledge = true});
    REQUIRE(stays.wait_for(2));
    CHECK(events.size() == 1);
  }
}

TEST_CASE("authentication over every transport and serializer", "[integration][matrix][auth]") {
  const auto variant = any_transport();
  INFO(variant.name());
  testing::fixture_options options = variant.apply();
  options.realm = secured_realm();
  testing::wamp_fixture f(options);
  struct credentials {
    std::string authid, method;
    std::function<void(client_options&)> set;
  };
  const auto c = GENERATE(
      credentials{"tim", "ticket", [](client_options& o) { o.ticket = "t1cket"; }},
      credentials{"cara", "wampcra", [](client_options& o) { o.secret = "s3cret"; }},
      credentials{"sally", "wampcra", [](client_options& o) { o.secret = "pepper"; }},
      credentials{"sig", "cryptosign", [](client_options& o) { o.private_key = cryptosign_seed; }});
  INFO(c.authid);
  run_options run{.authmethods = {c.method}, .authid = c.authid};

  SECTION("the right secret joins with the configured role, authorized by it") {
    auto& app = f.client("app", run, [&](AutobahnSync& a) { c.set(a.options()); });
    const auto welcome = app.session().welcome_details();
    CHECK(welcome.at("authid") == c.authid);
    CHECK(welcome.at("authrole") == "user");
    CHECK(welcome.at("authmethod") == c.method);
    app.session().publish("com.app.ok", {}, {}, publish_options{.acknowledge = true});
    CHECK_THROWS_AS(app.session().publish("com.other", {}, {}, publish_options{.acknowledge = true}),
                    NotAuthorized);
  }
  SECTION("a wrong secret is wamp.error.authentication_failed, and nothing more") {
    auto wrong = [&](AutobahnSync& a) {
      c.set(a.options());
      a.options().ticket += "x";
      a.options().secret += "x";
      a.options().private_key = std::string(64, '8');
    };
    CHECK_THROWS_MATCHES(f.client("intruder", run, wrong), AbortError,
                         testing::has_abort_reason("wamp.error.authentication_failed"));
  }
}

TEST_CASE("faults keyed to protocol events over every transport and serializer", "[integration][matrix]") {
  const auto variant = any_transport();
  INFO(variant.name());
  testing::wamp_fixture f(variant.apply());
  f.session("callee").register_procedure("com.app.echo", echo());
  auto& caller = f.session("caller");

  SECTION("the 2nd CALL is answered with a chosen ERROR; the others pass") {
    auto rule = f.faults().install(match().type(wamp::message_type::call).session("caller").nth(2),
                                   fault::answer_error("com.app.overloaded", {"later"}));
    CHECK(caller.call("com.app.echo", {1}).value() == 1);
    CHECK_THROWS_MATCHES(caller.call("com.app.echo", {2}), ApplicationError,
                         testing::has_error_uri("com.app.overloaded"));
    CHECK(caller.call("com.app.echo", {3}).value() == 3);
    CHECK(rule.hits() == 1);
  }
  SECTION("the transport closes right after the CALL: the caller gets TransportLost at once") {
    auto rule = f.faults().install(match().type(wamp::message_type::call).session("caller"), fault::close_after());
    CHECK_THROWS_AS(caller.call("com.app.echo", {1}), TransportLost);
  }
  SECTION("a RESULT held, then released, still reaches the caller") {
    auto rule = f.faults().install(match().type(wamp::message_type::result).session("caller"), fault::hold());
    std::thread release_when_held([&] {
      const auto deadline = std::chrono::steady_clock::now() + 10s;
      while (rule.held() == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
      rule.release();
    });
    CHECK(caller.call("com.app.echo", {"late"}).value() == "late");
    release_when_held.join();
  }
}

TEST_CASE("error paths and the meta API over every transport and serializer", "[integration][matrix]") {
  const auto variant = any_transport();
  INFO(variant.name());
  testing::wamp_fixture f(variant.apply());
  auto& callee = f.session("callee");
  auto& caller = f.session("caller");

  SECTION("a second registration of a procedure is wamp.error.procedure_already_exists") {
    callee.register_procedure("com.app.once", echo());
    CHECK_THROWS_MATCHES(caller.register_procedure("com.app.once", echo()), ApplicationError,
                         testing::has_error_uri("wamp.error.procedure_already_exists"));
  }
  SECTION("a malformed URI is InvalidUri, for calls and subscriptions alike") {
    CHECK_THROWS_AS(caller.call("com..app..bad"), InvalidUri);
    CHECK_THROWS_AS(caller.subscribe("com.app.bad uri", [](auto&&...) {}), InvalidUri);
  }
  SECTION("a callee losing its transport mid-call fails the pending call at once") {
    std::promise<void> started;
    callee.register_procedure("com.app.stuck", [&](const wamp::list&, const wamp::dict&, const invocation_details&) {
      started.set_value();
      return call_result{};
    });
    // The callee's YIELD never leaves: its transport closes just before.
    auto cut = f.faults().install(match().type(wamp::message_type::yield).session("callee"), fault::close_before());
    CHECK_THROWS_MATCHES(caller.call("com.app.stuck"), ApplicationError,
                         testing::has_error_uri("wamp.error.canceled"));
  }
  SECTION("wamp.session.count, .list, .get and on_join events") {
    testing::event_recorder joins;
    auto sub = caller.subscribe("wamp.session.on_join", joins.handler());
    auto& late = f.session("late");
    REQUIRE(joins.wait_for(1));
    CHECK(joins.items().at(0).args.at(0).at("session") == late.id());
    CHECK(caller.call("wamp.session.count").value() == 3);
    const auto ids = caller.call("wamp.session.list").value();
    CHECK(std::count(ids.begin(), ids.end(), wamp::value(callee.id())) == 1);
    CHECK(caller.call("wamp.session.get", {late.id()}).value().at("session") == late.id());
  }
  SECTION("wamp.registration.lookup and wamp.subscription.list_subscribers") {
    auto reg = callee.register_procedure("com.app.r", echo());
    auto sub = callee.subscribe("com.app.t", [](auto&&...) {});
    const auto registration = caller.call("wamp.registration.lookup", {"com.app.r"}).value();
    REQUIRE(registration.is_number());
    CHECK(caller.call("wamp.registration.list_callees", {registration}).value() == wamp::list{callee.id()});
    const auto subscription = caller.call("wamp.subscription.lookup", {"com.app.t"}).value();
    CHECK(caller.call("wamp.subscription.list_subscribers", {subscription}).value() == wamp::list{callee.id()});
  }
  SECTION("wamp.session.kill ends another session; its pending call fails with TransportLost or its reason") {
    auto& victim = f.session("victim");
    caller.call("wamp.session.kill", {victim.id()}, {{"reason", "com.app.kicked"}});
    CHECK_THROWS_AS(victim.call("com.app.anything"), Error);
    CHECK(caller.call("wamp.session.count").value() == 2);
  }
}

// Remote procedure calls through the router core: routing, progress, errors, canceling,
// timeouts on a manual clock, and what happens when a party leaves.
#include "router/router_core.hpp"

#include <catch2/catch.hpp>

#include "router/test/peer.hpp"
#include "router/uris.hpp"

namespace wamp = autobahn_sync::wamp;
namespace router = autobahn_sync::router;
using router::test::peer;

namespace {

struct fixture {
  std::chrono::steady_clock::time_point now{};
  std::int64_t wall_ms = 0;
  router::router_core core{[this] {
    router::core_options o;
    o.seed = 3;
    o.clock = [this] { return now; };
    o.wall_clock = [this] { return wall_ms; };
    return o;
  }()};
  router::realm& realm = core.add_realm({"realm1"});

  wamp::id register_procedure(peer& p, const std::string& uri, wamp::dict options = {}, wamp::id request = 1) {
    p.send(wamp::register_{request, std::move(options), uri});
    return p.expect<wamp::registered>().registration;
  }
};

}  // namespace

TEST_CASE("a call is invoked on the callee and its yield returned to the caller", "[unit]") {
  fixture f;
  peer callee(f.core), caller(f.core);
  callee.join();
  caller.join();
  const auto reg = f.register_procedure(callee, "com.example.add");
  caller.send(wamp::call{10, {}, "com.example.add", {2, 3}, {{"round", true}}});
  const auto inv = callee.expect<wamp::invocation>();
  CHECK(inv.registration == reg);
  CHECK(inv.args == wamp::list{2, 3});
  CHECK(inv.kwargs.at("round") == true);
  CHECK_FALSE(inv.details.count("caller"));
  callee.send(wamp::yield{inv.request, {}, {5}});
  const auto result = caller.expect<wamp::result>();
  CHECK(result.request == 10);
  CHECK(result.args == wamp::list{5});
  CHECK(f.realm.the_dealer().pending_call_count() == 0);
}

TEST_CASE("caller disclosure", "[unit]") {
  fixture f;
  peer callee(f.core), caller(f.core);
  callee.join();
  caller.join();
  f.register_procedure(callee, "p");
  caller.send(wamp::call{1, {{"disclose_me", true}}, "p"});
  const auto inv = callee.expect<wamp::invocation>();
  CHECK(inv.details.at("caller") == caller.session_id());
  CHECK(inv.details.count("caller_authrole"));
}

TEST_CASE("errors: no such procedure, already exists, callee's application error", "[unit]") {
  fixture f;
  peer callee(f.core), caller(f.core);
  callee.join();
  caller.join();
  caller.send(wamp::call{1, {}, "com.example.missing"});
  CHECK(caller.expect_error(router::uris::no_such_procedure).request_type == wamp::message_type::call);
  f.register_procedure(callee, "p");
  caller.send(wamp::register_{2, {}, "p"});
  caller.expect_error(router::uris::procedure_already_exists);
  caller.send(wamp::call{3, {}, "p"});
  const auto inv = callee.expect<wamp::invocation>();
  callee.send(wamp::error{wamp::message_type::invocation, inv.request, {}, "com.example.oops", {"bad"}, {{"code", 7}}});
  const auto e = caller.expect_error("com.example.oops");
  CHECK(e.request == 3);
  CHECK(e.args == wamp::list{"bad"});
  CHECK(e.kwargs.at("code") == 7);
}

TEST_CASE("progressive results reach a caller that asked for them", "[unit]") {
  fixture f;
  peer callee(f.core), caller(f.core);
  callee.join();
  caller.join();
  f.register_procedure(callee, "p");
  caller.send(wamp::call{1, {{"receive_progress", true}}, "p"});
  const auto inv = callee.expect<wamp::invocation>();
  CHECK(inv.details.at("receive_progress") == true);
  callee.send(wamp::yield{inv.request, {{"progress", true}}, {1}});
  callee.send(wamp::yield{inv.request, {{"progress", true}}, {2}});
  callee.send(wamp::yield{inv.request, {}, {3}});
  for (int i = 1; i <= 2; ++i) {
    const auto r = caller.expect<wamp::result>();
    CHECK(r.details.at("progress") == true);
    CHECK(r.args == wamp::list{i});
  }
  const auto last = caller.expect<wamp::result>();
  CHECK_FALSE(last.details.count("progress"));
  CHECK(last.args == wamp::list{3});
}

TEST_CASE("pattern registrations: exact beats the longest prefix beats wildcard", "[unit]") {
  fixture f;
  peer exact(f.core), short_prefix(f.core), long_prefix(f.core), wildcard(f.core), caller(f.core);
  for (peer* p : {&exact, &short_prefix, &long_prefix, &wildcard, &caller}) p->join();
  f.register_procedure(exact, "com.example.a.b");
  f.register_procedure(short_prefix, "com.example", {{"match", "prefix"}});
  f.register_procedure(long_prefix, "com.example.a", {{"match", "prefix"}});
  f.register_procedure(wildcard, "com..b", {{"match", "wildcard"}});
  caller.send(wamp::call{1, {}, "com.example.a.b"});
  CHECK_FALSE(exact.expect<wamp::invocation>().details.count("procedure"));
  caller.send(wamp::call{2, {}, "com.example.a.c"});
  CHECK(long_prefix.expect<wamp::invocation>().details.at("procedure") == "com.example.a.c");
  caller.send(wamp::call{3, {}, "com.example.z"});
  short_prefix.expect<wamp::invocation>();
  caller.send(wamp::call{4, {}, "com.other.b"});
  wildcard.expect<wamp::invocation>();
}

TEST_CASE("shared registrations with roundrobin", "[unit]") {
  fixture f;
  peer a(f.core), b(f.core), caller(f.core);
  a.join();
  b.join();
  caller.join();
  const auto ra = f.register_procedure(a, "p", {{"invoke", "roundrobin"}});
  const auto rb = f.register_procedure(b, "p", {{"invoke", "roundrobin"}});
  CHECK(ra == rb);
  caller.send(wamp::call{1, {}, "p"});
  caller.send(wamp::call{2, {}, "p"});
  caller.send(wamp::call{3, {}, "p"});
  CHECK(a.inbox.size() == 2);
  CHECK(b.inbox.size() == 1);
  peer c(f.core);
  c.join();
  c.send(wamp::register_{1, {{"invoke", "single"}}, "p"});
  c.expect_error(router::uris::procedure_exists_with_different_invocation_policy);
  c.send(wamp::register_{2, {{"invoke", "first"}}, "p"});
  CHECK(c.expect_error(router::uris::procedure_exists_with_different_invocation_policy).args ==
        wamp::list{"p is registered with the invocation policy roundrobin, not first"});
  a.inbox.clear();  // its invocations
  a.send(wamp::register_{2, {{"invoke", "roundrobin"}}, "p"});  // a holds it already
  a.expect_error(router::uris::procedure_already_exists);
}

TEST_CASE("cancel: skip, kill and killnowait", "[unit]") {
  fixture f;
  peer callee(f.core), caller(f.core);
  callee.join();
  caller.join();
  f.register_procedure(callee, "slow");
  caller.send(wamp::call{1, {}, "slow"});
  const auto inv = callee.expect<wamp::invocation>();
  SECTION("skip: the caller hears at once, the callee is not told") {
    caller.send(wamp::cancel{1, {{"mode", "skip"}}});
    caller.expect_error(router::uris::canceled);
    callee.expect_nothing();
    callee.send(wamp::yield{inv.request, {}, {1}});  // late: dropped
    caller.expect_nothing();
  }
  SECTION("kill: the callee is interrupted and its answer ends the call") {
    caller.send(wamp::cancel{1, {{"mode", "kill"}}});
    CHECK(callee.expect<wamp::interrupt>().options.at("mode") == "kill");
    caller.expect_nothing();
    callee.send(wamp::error{wamp::message_type::invocation, inv.request, {}, router::uris::canceled});
    caller.expect_error(router::uris::canceled);
  }
  SECTION("killnowait: both hear at once") {
    caller.send(wamp::cancel{1, {{"mode", "killnowait"}}});
    CHECK(callee.expect<wamp::interrupt>().request == inv.request);
    caller.expect_error(router::uris::canceled);
  }
  SECTION("an unknown mode: the caller hears invalid_argument, which ends the call; the callee is told to stop") {
    caller.send(wamp::cancel{1, {{"mode", "bogus"}}});
    const auto interrupt = callee.expect<wamp::interrupt>();
    CHECK(interrupt.request == inv.request);
    CHECK(interrupt.options.at("mode") == "killnowait");
    caller.expect_error(router::uris::invalid_argument);
    callee.send(wamp::yield{inv.request, {}, {1}});  // late: dropped, not a second answer
    caller.expect_nothing();
    caller.send(wamp::call{1, {}, "slow"});  // the request id is free again
    callee.expect<wamp::invocation>();
    caller.expect_nothing();
    caller.send(wamp::cancel{1, {{"mode", "skip"}}});
    caller.expect_error(router::uris::canceled);
  }
  CHECK(f.realm.the_dealer().pending_call_count() == 0);
}

TEST_CASE("a call times out on the router's clock", "[unit]") {
  fixture f;
  peer callee(f.core), caller(f.core);
  callee.join();
  caller.join();
  f.register_procedure(callee, "slow");
  caller.send(wamp::call{1, {{"timeout", 30000}}, "slow"});
  const auto inv = callee.expect<wamp::invocation>();
  REQUIRE(f.core.next_deadline() == f.now + std::chrono::seconds(30));
  f.now += std::chrono::milliseconds(29999);
  f.core.expire();
  caller.expect_nothing();
  f.now += std::chrono::milliseconds(1);
  f.core.expire();
  caller.expect_error(router::uris::timeout);
  CHECK(callee.expect<wamp::interrupt>().request == inv.request);
  CHECK_FALSE(f.core.next_deadline());
  CHECK(f.realm.the_dealer().pending_call_count() == 0);
}

TEST_CASE("with progressive results the call timeout runs anew from each result", "[unit]") {
  fixture f;
  peer callee(f.core), caller(f.core);
  callee.join();
  caller.join();
  f.register_procedure(callee, "stream");
  caller.send(wamp::call{1, {{"timeout", 10000}, {"receive_progress", true}}, "stream"});
  const auto inv = callee.expect<wamp::invocation>();
  f.now += std::chrono::seconds(8);
  callee.send(wamp::yield{inv.request, {{"progress", true}}, {1}});
  CHECK(caller.expect<wamp::result>().args == wamp::list{1});
  CHECK(f.core.next_deadline() == f.now + std::chrono::seconds(10));
  f.now += std::chrono::seconds(9);  // 17 s after the CALL, 9 s after the last result
  f.core.expire();
  caller.expect_nothing();
  callee.expect_nothing();
  f.now += std::chrono::seconds(1);
  f.core.expire();
  caller.expect_error(router::uris::timeout);
  CHECK(callee.expect<wamp::interrupt>().request == inv.request);
  CHECK(f.realm.the_dealer().pending_call_count() == 0);
}

TEST_CASE("progressive results are offered to a callee without call_canceling, as AutobahnJS's", "[unit]") {
  fixture f;
  peer callee(f.core), caller(f.core);
  // AutobahnJS announces progressive_call_results but not call_canceling for its callees. The
  // spec says to disregard such a callee's progressive results; Crossbar.io does not, and
  // neither do we (the AutobahnJS interop test streams them).
  callee.send(wamp::hello{"realm1", {{"roles", {{"callee", {{"features", {{"progressive_call_results", true}}}}}}}}});
  callee.expect<wamp::welcome>();
  caller.join();
  f.register_procedure(callee, "p");
  caller.send(wamp::call{1, {{"receive_progress", true}}, "p"});
  const auto inv = callee.expect<wamp::invocation>();
  CHECK(inv.details.at("receive_progress") == true);
  callee.send(wamp::yield{inv.request, {{"progress", true}}, {1}});
  callee.send(wamp::yield{inv.request, {}, {2}});
  CHECK(caller.expect<wamp::result>().details.at("progress") == true);
  const auto r = caller.expect<wamp::result>();
  CHECK(r.args == wamp::list{2});
  CHECK_FALSE(r.details.count("progress"));
}

TEST_CASE("a call timeout too long for the router's clock means no deadline, not an instant one", "[unit]") {
  fixture f;
  peer callee(f.core), caller(f.core);
  callee.join();
  caller.join();
  f.register_procedure(callee, "slow");
  caller.send(wamp::call{1, {{"timeout", std::uint64_t{10'000'000'000'000}}}, "slow"});  // ~317 years
  const auto inv = callee.expect<wamp::invocation>();
  CHECK_FALSE(f.core.next_deadline());
  f.now += std::chrono::hours(24);
  f.core.expire();
  caller.expect_nothing();
  callee.send(wamp::yield{inv.request, {}, {1}});
  CHECK(caller.expect<wamp::result>().args == wamp::list{1});
}

TEST_CASE("a callee that leaves fails its pending calls and frees its registrations", "[unit]") {
  fixture f;
  peer caller(f.core);
  caller.join();
  {
    peer callee(f.core);
    callee.join();
    f.register_procedure(callee, "p");
    caller.send(wamp::call{1, {}, "p"});
    callee.expect<wamp::invocation>();
  }
  caller.expect_error(router::uris::canceled);
  CHECK(f.realm.the_dealer().registration_count() == 0);
  CHECK(f.realm.the_dealer().pending_call_count() == 0);
}

TEST_CASE("a caller that leaves has its calls interrupted", "[unit]") {
  fixture f;
  peer callee(f.core);
  callee.join();
  f.register_procedure(callee, "p");
  {
    peer caller(f.core);
    caller.join();
    caller.send(wamp::call{1, {}, "p"});
  }
  const auto inv = callee.expect<wamp::invocation>();
  CHECK(callee.expect<wamp::interrupt>().request == inv.request);
  CHECK(f.realm.the_dealer().pending_call_count() == 0);
}

TEST_CASE("unregister, and unknown registrations", "[unit]") {
  fixture f;
  peer a(f.core), b(f.core);
  a.join();
  b.join();
  const auto reg = f.register_procedure(a, "p");
  b.send(wamp::unregister{2, reg});
  b.expect_error(router::uris::no_such_registration);
  a.send(wamp::unregister{3, reg});
  CHECK(a.expect<wamp::unregistered>().request == 3);
  b.send(wamp::call{4, {}, "p"});
  b.expect_error(router::uris::no_such_procedure);
}

TEST_CASE("registering in the wamp. namespace or with bad options is refused", "[unit]") {
  fixture f;
  peer a(f.core);
  a.join();
  a.send(wamp::register_{1, {}, "wamp.session.count"});
  a.expect_error(router::uris::invalid_uri);
  a.send(wamp::register_{2, {{"invoke", "fastest"}}, "p"});
  a.expect_error(router::uris::invalid_argument);
  a.send(wamp::register_{3, {}, "p q"});
  a.expect_error(router::uris::invalid_uri);
}

TEST_CASE("pattern registrations do not take over the router's meta procedures", "[unit]") {
  fixture f;
  peer squatter(f.core), b(f.core);
  squatter.join();
  b.join();
  f.register_procedure(squatter, "wamp", {{"match", "prefix"}});
  f.register_procedure(squatter, "..kill", {{"match", "wildcard"}}, 2);
  b.send(wamp::call{1, {}, "wamp.session.count"});
  CHECK(b.expect<wamp::result>().args == wamp::list{2});
  b.send(wamp::call{2, {}, "wamp.session.kill", {squatter.session_id()}});
  b.expect<wamp::result>();
  CHECK(squatter.expect<wamp::goodbye>().reason == router::uris::killed);
  squatter.expect_nothing();  // no INVOCATION reached it
}

TEST_CASE("the meta API answers about sessions and registrations", "[unit]") {
  fixture f;
  peer a(f.core), b(f.core);
  a.join();
  b.join();
  const auto reg = f.register_procedure(a, "com.example.p");
  b.send(wamp::call{1, {}, "wamp.session.count"});
  CHECK(b.expect<wamp::result>().args == wamp::list{2});
  b.send(wamp::call{2, {}, "wamp.session.get", {a.session_id()}});
  CHECK(b.expect<wamp::result>().args.at(0).at("session") == a.session_id());
  b.send(wamp::call{3, {}, "wamp.registration.lookup", {"com.example.p"}});
  CHECK(b.expect<wamp::result>().args == wamp::list{reg});
  b.send(wamp::call{4, {}, "wamp.registration.list_callees", {reg}});
  CHECK(b.expect<wamp::result>().args.at(0) == wamp::value::array({a.session_id()}));
  b.send(wamp::call{5, {}, "wamp.session.get", {12345}});
  b.expect_error(router::uris::no_such_session);
  b.send(wamp::call{6, {}, "wamp.no.such.thing"});
  b.expect_error(router::uris::no_such_procedure);
  b.send(wamp::call{7, {}, "wamp.session.kill", {a.session_id()}, {{"message", "bye"}}});
  b.expect<wamp::result>();
  const auto goodbye = a.expect<wamp::goodbye>();
  CHECK(goodbye.reason == router::uris::killed);
  CHECK(goodbye.details.at("message") == "bye");
  a.send(wamp::goodbye{{}, router::uris::goodbye_and_out});
  a.expect_nothing();
  CHECK(f.realm.sessions().size() == 1);
}

TEST_CASE("a call matching several wildcard registrations goes to the one the specification ranks first", "[unit]") {
  // The wildcard registrations of the specification's example (pattern-based registrations,
  // "Calls matching multiple registrations"): the longest run of components before the first
  // wildcard wins, then before the second.
  fixture f;
  std::vector<std::unique_ptr<peer>> callees;
  for (const char* uri : {"a1.b2..d4.e5", "a1.b2.c3..e5", "a1.b2..d4.e5..g7", "a1.b2..d4..f6.g7"}) {
    callees.push_back(std::make_unique<peer>(f.core));
    callees.back()->join();
    f.register_procedure(*callees.back(), uri, {{"match", "wildcard"}});
  }
  peer caller(f.core);
  caller.join();
  const std::vector<std::pair<std::string, std::size_t>> calls{
      {"a1.b2.c55.d4.e5", 0}, {"a1.b2.c3.d4.e5", 1}, {"a1.b2.c88.d4.e5.f6.g7", 2}};
  wamp::id request = 0;
  for (const auto& [uri, expected] : calls) {
    INFO(uri);
    caller.send(wamp::call{++request, {}, uri});
    for (std::size_t i = 0; i < callees.size(); ++i) {
      if (i == expected) {
        CHECK(callees[i]->expect<wamp::invocation>().details.at("procedure") == uri);
      } else {
        callees[i]->expect_nothing();
      }
    }
  }
  caller.send(wamp::call{++request, {}, "wamp.registration.match", {"a1.b2.c3.d4.e5"}});
  CHECK(caller.expect<wamp::result>().args ==
        wamp::list{f.realm.the_dealer().lookup("a1.b2.c3..e5", wamp::match_policy::wildcard)->id});
  caller.send(wamp::call{++request, {}, "a2.b2.c2.d2.e2"});
  caller.expect_error(router::uris::no_such_procedure);
}

TEST_CASE("a progressive call invocation (CALL.Options.progress) is a protocol violation, never a partial call", "[unit]") {
  fixture f;
  peer callee(f.core), caller(f.core);
  callee.join();
  caller.join();
  f.register_procedure(callee, "com.example.upload");
  caller.send(wamp::call{1, {{"progress", true}}, "com.example.upload", {"chunk 1"}});
  const auto abort = caller.expect<wamp::abort>();
  CHECK(abort.reason == router::uris::protocol_violation);
  CHECK(caller.closed);
  callee.expect_nothing();
}

TEST_CASE("wamp.session.count and wamp.session.list take an optional filter_authroles", "[unit]") {
  fixture f;
  peer a(f.core), b(f.core);
  a.join("realm1", {{"authrole", "anonymous"}});
  b.join();
  b.send(wamp::call{1, {}, "wamp.session.count", {wamp::value::array({"nobody"})}});
  CHECK(b.expect<wamp::result>().args == wamp::list{0});
  const std::string role = f.core.find_session(a.session_id())->authrole;
  b.send(wamp::call{2, {}, "wamp.session.list", {wamp::value::array({role})}});
  CHECK(b.expect<wamp::result>().args.at(0).size() == 2);  // both joined with the same role
  b.send(wamp::call{3, {}, "wamp.session.count", {nullptr}});
  CHECK(b.expect<wamp::result>().args == wamp::list{2});
  b.send(wamp::call{4, {}, "wamp.session.count", {"not a list"}});
  b.expect_error(router::uris::invalid_argument);
}

TEST_CASE("wamp.session.kill refuses a reason that is not a URI and kills nobody", "[unit]") {
  fixture f;
  peer a(f.core), b(f.core);
  a.join();
  b.join();
  b.send(wamp::call{1, {}, "wamp.session.kill", {a.session_id()}, {{"reason", "not a uri"}}});
  const auto refused = b.expect_error(router::uris::invalid_uri);
  CHECK(refused.args.at(0) == "the reason not a uri is not a valid URI");
  a.expect_nothing();
  b.send(wamp::call{2, {}, "wamp.session.kill", {a.session_id()}, {{"reason", "com.example.go_away"}}});
  b.expect<wamp::result>();
  CHECK(a.expect<wamp::goodbye>().reason == "com.example.go_away");
}

TEST_CASE("limits: outstanding invocations per callee, registrations and subscriptions per session", "[unit]") {
  router::core_options o;
  o.limits.max_pending_invocations_per_callee = 2;
  o.limits.max_registrations_per_session = 1;
  o.limits.max_subscriptions_per_session = 1;
  router::router_core core(o);
  core.add_realm({"realm1"});
  peer callee(core), caller(core);
  callee.join();
  caller.join();
  callee.send(wamp::register_{1, {}, "p"});
  callee.expect<wamp::registered>();
  callee.send(wamp::register_{2, {}, "q"});
  callee.expect_error(router::uris::limit_reached);
  caller.send(wamp::subscribe{1, {}, "t"});
  caller.expect<wamp::subscribed>();
  caller.send(wamp::subscribe{2, {}, "u"});
  caller.expect_error(router::uris::limit_reached);
  caller.send(wamp::call{1, {}, "p"});
  caller.send(wamp::call{2, {}, "p"});
  caller.send(wamp::call{3, {}, "p"});
  CHECK(caller.expect_error(router::uris::unavailable).request == 3);
  const auto first = callee.expect<wamp::invocation>();
  callee.expect<wamp::invocation>();
  callee.expect_nothing();
  callee.send(wamp::yield{first.request, {}});
  caller.expect<wamp::result>();
  caller.send(wamp::call{4, {}, "p"});  // room again
  callee.expect<wamp::invocation>();
}

TEST_CASE("wamp.registration.match and registration meta events", "[unit]") {
  fixture f;
  peer watcher(f.core), callee(f.core);
  watcher.join();
  callee.join();
  for (const char* topic : {"wamp.registration.on_create", "wamp.registration.on_delete"}) {
    watcher.send(wamp::subscribe{1, {}, topic});
    watcher.expect<wamp::subscribed>();
  }
  f.wall_ms = 1764213601123;  // 2025-11-27T03:20:01.123Z
  const auto reg = f.register_procedure(callee, "com.example", {{"match", "prefix"}});
  const auto created = watcher.expect<wamp::event>();
  CHECK(created.args.at(1).at("id") == reg);
  CHECK(created.args.at(1).at("match") == "prefix");
  CHECK(created.args.at(1).at("created") == "2025-11-27T03:20:01.123Z");  // ISO 8601, as the spec says
  watcher.send(wamp::call{5, {}, "wamp.registration.get", {reg}});
  CHECK(watcher.expect<wamp::result>().args.at(0).at("created") == "2025-11-27T03:20:01.123Z");
  watcher.send(wamp::call{2, {}, "wamp.registration.match", {"com.example.add"}});
  CHECK(watcher.expect<wamp::result>().args == wamp::list{reg});
  watcher.send(wamp::call{3, {}, "wamp.registration.match", {"org.other"}});
  CHECK(watcher.expect<wamp::result>().args == wamp::list{nullptr});
  callee.send(wamp::unregister{4, reg});
  callee.expect<wamp::unregistered>();
  CHECK(watcher.expect<wamp::event>().args == wamp::list{callee.session_id(), reg});
}

TEST_CASE("a callee that leaves without unregistering is unregistered with the same meta events", "[unit]") {
  fixture f;
  peer watcher(f.core), callee(f.core);
  watcher.join();
  callee.join();
  const auto reg = f.register_procedure(callee, "com.example.p");
  wamp::id on_unregister = 0, on_delete = 0;
  for (const char* topic : {"wamp.registration.on_unregister", "wamp.registration.on_delete"}) {
    watcher.send(wamp::subscribe{1, {}, topic});
    (on_unregister ? on_delete : on_unregister) = watcher.expect<wamp::subscribed>().subscription;
    callee.send(wamp::subscribe{2, {}, topic});  // it watches too, and must hear nothing of its own leave
    callee.expect<wamp::subscribed>();
  }
  const wamp::id left = callee.session_id();
  callee.send(wamp::goodbye{{}, router::uris::close_normal});
  callee.expect<wamp::goodbye>();
  callee.expect_nothing();
  const auto unregistered = watcher.expect<wamp::event>();
  CHECK(unregistered.subscription == on_unregister);
  CHECK(unregistered.args == wamp::list{left, reg});
  const auto deleted = watcher.expect<wamp::event>();
  CHECK(deleted.subscription == on_delete);
  CHECK(deleted.args == wamp::list{left, reg});
  CHECK(f.realm.the_dealer().find(reg) == nullptr);
}

// Limits that hold under attack, in the router's core: each limit acts with its own clear
// answer, the other sessions carry on, and the router logs one "limit <name>: ..." line naming
// the session and peer. (The transport limits over real sockets: limits_socket_test.cpp.)
#include "router/router_core.hpp"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "router/test/peer.hpp"
#include "router/uris.hpp"
#include "wamp/auth/wampcra.hpp"

namespace wamp = autobahn_sync::wamp;
namespace router = autobahn_sync::router;
using router::test::peer;

namespace {

// A core with a manual clock whose log lines the test can read.
struct logged_core {
  explicit logged_core(router::router_limits limits) {
    router::core_options o;
    o.seed = 11;
    o.limits = limits;
    o.clock = [this] { return now; };
    o.wall_clock = [] { return std::int64_t{1764039845678}; };
    o.log = [this](const std::string& line) { lines.push_back(line); };
    core = std::make_unique<router::router_core>(std::move(o));
    core->add_realm({"realm1"});
  }

  /// The lines starting with "limit <name>:".
  std::vector<std::string> limit_lines(const std::string& name) const {
    std::vector<std::string> out;
    for (const auto& l : lines)
      if (l.rfind("limit " + name + ":", 0) == 0) out.push_back(l);
    return out;
  }

  std::chrono::steady_clock::time_point now{};
  std::vector<std::string> lines;
  std::unique_ptr<router::router_core> core;
};

std::string id_text(wamp::id id) { return std::to_string(id); }

}  // namespace

TEST_CASE("a caller past max_pending_calls_per_session gets limit_reached; others carry on", "[unit]") {
  router::router_limits limits;
  limits.max_pending_calls_per_session = 2;
  logged_core f(limits);
  peer callee(*f.core), greedy(*f.core), other(*f.core);
  callee.join();
  greedy.join();
  other.join();
  callee.send(wamp::register_{1, {}, "com.slow"});
  callee.expect<wamp::registered>();

  greedy.send(wamp::call{1, {}, "com.slow"});
  greedy.send(wamp::call{2, {}, "com.slow"});
  greedy.send(wamp::call{3, {}, "com.slow"});
  const auto refused = greedy.expect_error(router::uris::limit_reached);
  CHECK(refused.request == 3);
  CHECK(refused.request_type == wamp::message_type::call);
  const auto first = callee.expect<wamp::invocation>();
  callee.expect<wamp::invocation>();
  callee.expect_nothing();  // the refused call never reached the callee

  const auto logged = f.limit_lines("max_pending_calls_per_session");
  REQUIRE(logged.size() == 1);
  CHECK(logged[0] == "limit max_pending_calls_per_session: session=" + id_text(greedy.session_id()) +
                         " peer=inprocess CALL com.slow refused with wamp.error.limit_reached");

  // Another caller is not limited by the greedy one.
  other.send(wamp::call{1, {}, "com.slow"});
  callee.expect<wamp::invocation>();

  // An answered call makes room again.
  callee.send(wamp::yield{first.request, {}});
  greedy.expect<wamp::result>();
  greedy.send(wamp::call{4, {}, "com.slow"});
  callee.expect<wamp::invocation>();
  greedy.expect_nothing();
}

TEST_CASE("calls that end by cancel, timeout or a leaving callee free the caller's room", "[unit]") {
  router::router_limits limits;
  limits.max_pending_calls_per_session = 1;
  logged_core f(limits);
  peer caller(*f.core);
  caller.join();
  {
    peer callee(*f.core);
    callee.join();
    callee.send(wamp::register_{1, {}, "p"});
    callee.expect<wamp::registered>();
    caller.send(wamp::call{1, {{"timeout", 1000}}, "p"});
    callee.expect<wamp::invocation>();
    f.now += std::chrono::seconds(1);
    f.core->expire();
    caller.expect_error(router::uris::timeout);
    callee.expect<wamp::interrupt>();
    caller.send(wamp::call{2, {}, "p"});
    callee.expect<wamp::invocation>();
    caller.send(wamp::cancel{2, {{"mode", "skip"}}});
    caller.expect_error(router::uris::canceled);
    caller.send(wamp::call{3, {}, "p"});
    callee.expect<wamp::invocation>();
  }  // the callee leaves with call 3 pending
  caller.expect_error(router::uris::canceled);
  peer callee(*f.core);
  callee.join();
  callee.send(wamp::register_{1, {}, "p"});
  callee.expect<wamp::registered>();
  caller.send(wamp::call{4, {}, "p"});
  callee.expect<wamp::invocation>();
  caller.expect_nothing();
  CHECK(f.limit_lines("max_pending_calls_per_session").empty());
}

TEST_CASE("a callee past max_pending_invocations_per_callee is spared; the caller gets unavailable", "[unit]") {
  router::router_limits limits;
  limits.max_pending_invocations_per_callee = 1;
  logged_core f(limits);
  peer callee(*f.core), caller(*f.core);
  callee.join();
  caller.join();
  callee.send(wamp::register_{1, {}, "p"});
  callee.expect<wamp::registered>();
  caller.send(wamp::call{1, {}, "p"});
  caller.send(wamp::call{2, {}, "p"});
  CHECK(caller.expect_error(router::uris::unavailable).request == 2);
  callee.expect<wamp::invocation>();
  callee.expect_nothing();
  const auto logged = f.limit_lines("max_pending_invocations_per_callee");
  REQUIRE(logged.size() == 1);
  CHECK(logged[0] == "limit max_pending_invocations_per_callee: session=" + id_text(caller.session_id()) +
                         " peer=inprocess CALL p refused with wamp.error.unavailable: callee session " +
                         id_text(callee.session_id()) + " has 1 invocations outstanding");
}

TEST_CASE("subscriptions and registrations past their limits get limit_reached and are logged", "[unit]") {
  router::router_limits limits;
  limits.max_subscriptions_per_session = 2;
  limits.max_registrations_per_session = 2;
  logged_core f(limits);
  peer p(*f.core), other(*f.core);
  p.join();
  other.join();
  wamp::id first_subscription = 0;
  for (wamp::id i = 1; i <= 2; ++i) {
    p.send(wamp::subscribe{i, {}, "t" + std::to_string(i)});
    if (i == 1) first_subscription = p.expect<wamp::subscribed>().subscription;
    else p.expect<wamp::subscribed>();
    p.send(wamp::register_{i, {}, "p" + std::to_string(i)});
    p.expect<wamp::registered>();
  }
  p.send(wamp::subscribe{3, {}, "t3"});
  CHECK(p.expect_error(router::uris::limit_reached).request_type == wamp::message_type::subscribe);
  p.send(wamp::register_{3, {}, "p3"});
  CHECK(p.expect_error(router::uris::limit_reached).request_type == wamp::message_type::register_);
  const std::string who = "session=" + id_text(p.session_id()) + " peer=inprocess ";
  CHECK(f.limit_lines("max_subscriptions_per_session") ==
        std::vector<std::string>{"limit max_subscriptions_per_session: " + who +
                                 "SUBSCRIBE t3 refused with wamp.error.limit_reached"});
  CHECK(f.limit_lines("max_registrations_per_session") ==
        std::vector<std::string>{"limit max_registrations_per_session: " + who +
                                 "REGISTER p3 refused with wamp.error.limit_reached"});
  // The limit is per session: another one subscribes and registers the same URIs.
  other.send(wamp::subscribe{1, {}, "t3"});
  other.expect<wamp::subscribed>();
  other.send(wamp::register_{1, {}, "p3"});
  other.expect<wamp::registered>();
  // Unsubscribing makes room again.
  p.send(wamp::unsubscribe{4, first_subscription});
  p.expect<wamp::unsubscribed>();
  p.send(wamp::subscribe{5, {}, "t3"});
  p.expect<wamp::subscribed>();
}

TEST_CASE("a repeated SUBSCRIBE at max_subscriptions_per_session gets the subscription it has", "[unit]") {
  router::router_limits limits;
  limits.max_subscriptions_per_session = 1;
  logged_core f(limits);
  peer p(*f.core);
  p.join();
  p.send(wamp::subscribe{1, {}, "com.news"});
  const auto id = p.expect<wamp::subscribed>().subscription;
  p.send(wamp::subscribe{2, {}, "com.news"});
  CHECK(p.expect<wamp::subscribed>().subscription == id);
  p.send(wamp::subscribe{3, {}, "com.other"});
  p.expect_error(router::uris::limit_reached);
}

TEST_CASE("connections past max_connections are closed at once and logged", "[unit]") {
  router::router_limits limits;
  limits.max_connections = 1;
  logged_core f(limits);
  peer first(*f.core), second(*f.core);
  CHECK(second.closed);
  CHECK_FALSE(first.closed);
  CHECK(f.limit_lines("max_connections") ==
        std::vector<std::string>{"limit max_connections: peer=inprocess closed: 1 connections are served already"});
  first.join();  // the one served is unaffected
}

TEST_CASE("a session that does not join within join_timeout is aborted, and it is logged", "[unit]") {
  router::router_limits limits;
  limits.join_timeout = std::chrono::seconds(2);
  logged_core f(limits);
  peer silent(*f.core), joined(*f.core);
  joined.join();
  f.now += std::chrono::seconds(2);
  f.core->expire();
  const auto abort = silent.expect<wamp::abort>();
  CHECK(abort.reason == router::uris::timeout);
  CHECK(silent.closed);
  CHECK(f.limit_lines("join_timeout") ==
        std::vector<std::string>{"limit join_timeout: abort session=" + id_text(silent.session_id()) +
                                 " peer=inprocess reason=wamp.error.timeout message=the session did not join in time"});
  joined.expect_nothing();
  CHECK_FALSE(joined.closed);
}

TEST_CASE("a killed session that never answers GOODBYE is closed after goodbye_timeout, and it is logged", "[unit]") {
  router::router_limits limits;
  limits.goodbye_timeout = std::chrono::seconds(10);
  logged_core f(limits);
  peer deaf(*f.core), admin(*f.core);
  deaf.join();
  admin.join();
  admin.send(wamp::call{1, {}, "wamp.session.kill", {deaf.session_id()}});
  admin.expect<wamp::result>();
  CHECK(deaf.expect<wamp::goodbye>().reason == router::uris::killed);
  REQUIRE(f.core->next_deadline() == f.now + std::chrono::seconds(10));
  f.now += std::chrono::seconds(9);
  f.core->expire();
  CHECK_FALSE(deaf.closed);
  f.now += std::chrono::seconds(1);
  f.core->expire();
  CHECK(deaf.closed);
  deaf.expect_nothing();
  CHECK(f.limit_lines("goodbye_timeout") ==
        std::vector<std::string>{"limit goodbye_timeout: session=" + id_text(deaf.session_id()) +
                                 " peer=inprocess closed: no GOODBYE came back in time"});
  CHECK_FALSE(admin.closed);
  CHECK(f.core->join_deadline_count() == 0);
}

TEST_CASE("a killed session that answers GOODBYE keeps its connection and has a whole join timeout to join again", "[unit]") {
  router::router_limits limits;
  limits.goodbye_timeout = std::chrono::seconds(10);
  limits.join_timeout = std::chrono::seconds(30);
  logged_core f(limits);
  peer polite(*f.core), admin(*f.core);
  polite.join();
  admin.join();
  admin.send(wamp::call{1, {}, "wamp.session.kill", {polite.session_id()}});
  admin.expect<wamp::result>();
  polite.expect<wamp::goodbye>();
  f.now += std::chrono::seconds(5);
  polite.send(wamp::goodbye{{}, router::uris::goodbye_and_out});
  f.now += std::chrono::seconds(29);  // past the GOODBYE's deadline, within the new join timeout
  f.core->expire();
  CHECK_FALSE(polite.closed);
  polite.expect_nothing();
  CHECK(f.limit_lines("goodbye_timeout").empty());
  f.now += std::chrono::seconds(1);
  f.core->expire();
  CHECK(polite.expect<wamp::abort>().reason == router::uris::timeout);  // 30 s after its GOODBYE
}

TEST_CASE("sessions that join and leave over and over leave no join deadlines behind", "[unit]") {
  // Each message makes the router look for its next deadline: stale ones would make every
  // message pay for every join of the last join_timeout.
  router::router_limits limits;
  limits.join_timeout = std::chrono::seconds(2);
  logged_core f(limits);
  peer waiting(*f.core), cycling(*f.core);
  CHECK(f.core->join_deadline_count() == 2);
  for (int i = 0; i < 1000; ++i) {
    cycling.join();
    REQUIRE(f.core->join_deadline_count() == 1);  // only the one still waiting
    cycling.send(wamp::goodbye{{}, router::uris::close_normal});
    REQUIRE(cycling.expect<wamp::goodbye>().reason == router::uris::goodbye_and_out);
    REQUIRE(f.core->join_deadline_count() == 2);  // out again: the join timeout watches it
  }
  f.now += std::chrono::seconds(2);
  f.core->expire();
  CHECK(waiting.expect<wamp::abort>().reason == router::uris::timeout);
  CHECK(cycling.expect<wamp::abort>().reason == router::uris::timeout);
  CHECK(f.core->join_deadline_count() == 0);
}

TEST_CASE("a peer that aborts its authentication and starts over keeps its first join deadline", "[unit]") {
  router::router_limits limits;
  limits.join_timeout = std::chrono::seconds(30);
  logged_core f(limits);
  router::realm_config r{"tickets"};
  r.allow_anonymous = false;
  r.roles = {{"user", {router::permission::allow_all()}}};
  r.users.push_back({"alice", "user", "ticket", "ticket-alice"});
  f.core->add_realm(r);
  peer guesser(*f.core);
  auto start_over = [&] {
    guesser.send(wamp::hello{"tickets", {{"authid", "alice"}, {"authmethods", wamp::value::array({"ticket"})}}});
    guesser.expect<wamp::challenge>();
    guesser.send(wamp::abort{{}, "wamp.error.canceled"});
  };
  start_over();
  f.now += std::chrono::seconds(29);
  f.core->expire();
  guesser.expect_nothing();
  start_over();
  f.now += std::chrono::seconds(1);
  f.core->expire();
  CHECK(guesser.expect<wamp::abort>().reason == router::uris::timeout);  // 30 s after it came
  CHECK(guesser.closed);
}

TEST_CASE("bad bytes over the size limit abort the session with a clear message and are logged", "[unit]") {
  logged_core f(router::router_limits{});
  peer big(*f.core), other(*f.core);
  big.join();
  other.join();
  f.core->receive_bad(big.session_id(), "a frame of 4096 bytes is over the limit of 1024 bytes", "max_message_size");
  const auto abort = big.expect<wamp::abort>();
  CHECK(abort.reason == router::uris::protocol_violation);
  CHECK(abort.details.at("message") == "a frame of 4096 bytes is over the limit of 1024 bytes");
  CHECK(big.closed);
  CHECK(f.limit_lines("max_message_size").size() == 1);
  other.send(wamp::call{1, {}, "wamp.session.count"});
  CHECK(other.expect<wamp::result>().args.at(0) == 1);
}

TEST_CASE("failed authentication says only authentication_failed, whatever was wrong", "[unit]") {
  std::int64_t wall = 1764039845678;
  router::core_options o;
  o.seed = 3;
  o.wall_clock = [&] { return wall; };
  router::router_core core(o);
  router::realm_config r{"realm1"};
  r.allow_anonymous = false;
  r.roles = {{"user", {router::permission::allow_all()}}};
  r.users.push_back({"alice", "user", "ticket", "ticket-alice"});
  r.users.push_back({"bob", "user", "wampcra", "secret-bob"});
  core.add_realm(r);
  auto hello = [](const std::string& authid, const std::string& method) {
    return wamp::hello{"realm1", {{"authid", authid}, {"authmethods", wamp::value::array({method})}}};
  };
  peer p(core);
  const std::string what = GENERATE("unknown user", "anonymous refused", "method the user lacks", "wrong ticket",
                                    "wrong wampcra signature", "expired wampcra challenge");
  INFO(what);
  if (what == "unknown user") {
    p.send(hello("mallory", "ticket"));
  } else if (what == "anonymous refused") {
    p.send(wamp::hello{"realm1", {}});
  } else if (what == "method the user lacks") {
    p.send(hello("alice", "wampcra"));
  } else if (what == "wrong ticket") {
    p.send(hello("alice", "ticket"));
    p.expect<wamp::challenge>();
    p.send(wamp::authenticate{"ticket-alicE", {}});
  } else {
    p.send(hello("bob", "wampcra"));
    const auto text = p.expect<wamp::challenge>().extra.at("challenge").get<std::string>();
    std::string key = "secret-bob";
    if (what == "wrong wampcra signature") key += "!";
    else wall += router::static_authenticator::challenge_lifetime_ms + 1;
    p.send(wamp::authenticate{wamp::auth::wampcra_signature(key, text), {}});
  }
  const auto abort = p.expect<wamp::abort>();
  CHECK(abort.reason == router::uris::authentication_failed);
  CHECK(abort.details.empty());  // no message that tells one failure from another
}

// Reconnecting: a lost session re-joins and restores its subscriptions and registrations,
// backs off and gives up after max_attempts (saying so), also when each re-join is lost at once, reports what it cannot restore, stays
// lost without reconnect (the default), and comes back after the router killed it.
#include "client/autobahn_sync.hpp"

#include <algorithm>
#include <atomic>
#include <future>

#include <catch2/catch.hpp>

#include "client/test/handlers.hpp"
#include "client/test/trace_messages.hpp"
#include "testing/eventually.hpp"
#include "testing/matchers.hpp"
#include "testing/recorder.hpp"
#include "testing/wamp_fixture.hpp"

using namespace autobahn_sync;
using namespace std::chrono_literals;
namespace w = autobahn_sync::wamp;
namespace testing = autobahn_sync::testing;
namespace fault = autobahn_sync::testing::fault;
using test::echo;
using test::received_by;
using test::sent_by;

namespace {

// Loses the transport of the client named `name`: its PUBLISH to com.cut takes the
// connection down with it.
void cut_transport(testing::wamp_fixture& f, SyncSession& s, const std::string& name) {
  auto cut = f.faults().install(
      testing::match().type(w::message_type::publish).session(name).uri("com.cut"), fault::close_before());
  s.publish("com.cut");
  REQUIRE(testing::eventually([&] { return cut.hits() == 1; }));
}

// Options for the client `name` that reconnects 1 ms after a loss, recording each join.
client_options reconnecting(testing::wamp_fixture& f, const std::string& name, testing::recorder<w::id>& joins) {
  auto o = f.options_for(name);
  o.reconnect.enabled = true;
  o.reconnect.initial_delay = 1ms;
  o.on_join = [&joins](w::id session) { joins.add(session); };
  return o;
}

// A simulation (virtual time) with a fixed seed, for the tests that read reconnect delays.
testing::fixture_options simulated() {
  testing::fixture_options fo;
  fo.simulation = true;
  fo.seed = 7;
  return fo;
}

// Reconnects after a loss at once, then backing off from 1 ms, at most `max_attempts` times.
void reconnect_at_once(AutobahnSync& a, int max_attempts) {
  auto& r = a.options().reconnect;
  r.enabled = true;
  r.initial_delay = 0ms;
  r.max_attempts = max_attempts;
}

// The router kills `app`'s session.
void kill_session(testing::wamp_fixture& f, AutobahnSync& app) {
  f.the_router().with_core([&](router::router_core& core) { return core.kill(app.session().id(), "wamp.close.killed", ""); });
}

}  // namespace

TEST_CASE_METHOD(testing::wamp_fixture, "reconnect re-joins and restores subscriptions and registrations",
                 "[client][reconnect]") {
  testing::recorder<w::id> joins;
  auto o = reconnecting(*this, "app", joins);
  AutobahnSync app({}, o);
  app.register_procedure("com.echo", echo);
  app.run();
  testing::event_recorder events;
  auto sub = app.session().subscribe("com.t", events.handler());
  cut_transport(*this, app.session(), "app");
  REQUIRE(joins.wait_for(2));
  CHECK(sent_by<w::hello>(*this, "app").size() == 2);
  CHECK(app.session().call("com.echo", {1}).value() == 1);
  CHECK(sent_by<w::subscribe>(*this, "app").size() == 2);
  CHECK(sent_by<w::register_>(*this, "app").size() == 2);
  publish_options po;
  po.exclude_me = false;
  app.session().publish("com.t", {"again"}, {}, po);
  REQUIRE(events.wait_for(1));
  CHECK(events.items()[0].args == w::list{"again"});
  // The restored subscription is still the handle's: unsubscribing reaches the router.
  sub.unsubscribe();
  CHECK(sent_by<w::unsubscribe>(*this, "app").size() == 1);
  app.stop();
}

TEST_CASE_METHOD(testing::wamp_fixture,
                 "after a reconnect, a handler of the lost session cannot answer the new session's invocation",
                 "[client][reconnect]") {
  // The router numbers a session's invocations from 1: the new session's first INVOCATION has
  // the id the old session's running one had.
  testing::recorder<w::id> joins;
  AutobahnSync callee({}, reconnecting(*this, "callee", joins));
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  testing::recorder<bool> slow_started;
  callee.register_procedure("com.slow", [&, released](const w::list&, const w::dict&, const invocation_details&) {
    slow_started.add(true);
    released.wait();
    return call_result{{"old"}};
  });
  callee.register_procedure("com.fast", [](const w::list&, const w::dict&, const invocation_details&) {
    return call_result{{"new"}};
  });
  callee.run();
  auto slow = std::async(std::launch::async, [&] { return session("caller1").call("com.slow"); });
  REQUIRE(slow_started.wait_for(1));
  cut_transport(*this, callee.session(), "callee");
  REQUIRE(joins.wait_for(2));
  REQUIRE(testing::eventually([&] { return received_by<w::registered>(*this, "callee").size() == 4; }));
  auto fast = std::async(std::launch::async, [&] { return session("caller2").call("com.fast"); });
  // The new INVOCATION waits behind the running handler (one callbacks thread).
  REQUIRE(testing::eventually([&] { return received_by<w::invocation>(*this, "callee").size() == 2; }));
  CHECK(received_by<w::invocation>(*this, "callee")[1].request == received_by<w::invocation>(*this, "callee")[0].request);
  release.set_value();
  CHECK(fast.get().args == w::list{"new"});
  CHECK_THROWS_AS(slow.get(), ApplicationError);  // its callee's session ended: canceled
  callee.stop();
}

TEST_CASE_METHOD(testing::wamp_fixture, "a re-join the router never answers ends after join_timeout and the next attempt follows",
                 "[client][reconnect]") {
  testing::recorder<w::id> joins;
  auto o = reconnecting(*this, "app", joins);
  o.join_timeout = 300ms;
  AutobahnSync app({}, o);
  app.register_procedure("com.echo", echo);
  app.run();
  // The first HELLO of the reconnect vanishes: no WELCOME, CHALLENGE or ABORT ever comes.
  auto lost_hello = faults().install(testing::match().type(w::message_type::hello).session("app").nth(1), fault::drop());
  cut_transport(*this, app.session(), "app");
  REQUIRE(joins.wait_for(2));
  CHECK(lost_hello.hits() == 1);
  CHECK(sent_by<w::hello>(*this, "app").size() == 3);
  CHECK(app.session().call("com.echo", {1}).value() == 1);
  app.stop();
}

TEST_CASE_METHOD(testing::wamp_fixture, "a subscription and a registration the router revoked are not restored",
                 "[client][reconnect]") {
  testing::recorder<w::id> joins;
  auto o = reconnecting(*this, "app", joins);
  // Right after its SUBSCRIBED / REGISTERED, the router (a rule in its place) revokes it.
  testing::action revoke_subscription = fault::inject_after(w::unsubscribed{});
  revoke_subscription.make = [](const w::message& m) -> w::message {
    return w::unsubscribed{0, {{"subscription", std::get<w::subscribed>(m).subscription}, {"reason", "wamp.error.revoked"}}};
  };
  auto subscription_rule = faults().install(testing::match().type(w::message_type::subscribed).to_client().session("app").nth(1),
                   revoke_subscription);
  testing::action revoke_registration = fault::inject_after(w::unregistered{});
  revoke_registration.make = [](const w::message& m) -> w::message {
    return w::unregistered{0, {{"registration", std::get<w::registered>(m).registration}, {"reason", "wamp.error.revoked"}}};
  };
  auto registration_rule = faults().install(testing::match().type(w::message_type::registered).to_client().session("app").nth(2),
                   revoke_registration);
  AutobahnSync app({}, o);
  app.register_procedure("com.echo", echo);
  app.register_procedure("com.revoked_proc", echo);
  app.run();
  testing::event_recorder revoked_events, kept_events;
  auto revoked = app.session().subscribe("com.revoked", revoked_events.handler());
  auto kept = app.session().subscribe("com.kept", kept_events.handler());
  // The revocation came before the RESULT of this call: it has been taken in.
  CHECK(app.session().call("com.echo", {1}).value() == 1);
  CHECK(subscription_rule.hits() == 1);
  CHECK(registration_rule.hits() == 1);
  cut_transport(*this, app.session(), "app");
  REQUIRE(joins.wait_for(2));
  CHECK(app.session().call("com.echo", {2}).value() == 2);  // the restoration went before
  std::vector<std::string> topics, procedures;
  for (const auto& sub : sent_by<w::subscribe>(*this, "app")) topics.push_back(sub.topic);
  CHECK(topics == std::vector<std::string>{"com.revoked", "com.kept", "com.kept"});
  for (const auto& reg : sent_by<w::register_>(*this, "app")) procedures.push_back(reg.procedure);
  CHECK(procedures == std::vector<std::string>{"com.echo", "com.revoked_proc", "com.echo"});
  try {
    session("caller").call("com.revoked_proc");
    FAIL("the revoked procedure was called");
  } catch (const ApplicationError& e) {
    CHECK(e.error() == "wamp.error.no_such_procedure");
  }
  publish_options po;
  po.exclude_me = false;
  po.acknowledge = true;
  app.session().publish("com.revoked", {"lost"}, {}, po);
  app.session().publish("com.kept", {"here"}, {}, po);
  REQUIRE(kept_events.wait_for(1));
  CHECK(revoked_events.items().empty());
  CHECK_FALSE(revoked.active());
  CHECK(kept.active());
  revoked.unsubscribe();  // nothing left to undo: no UNSUBSCRIBE
  CHECK(sent_by<w::unsubscribe>(*this, "app").empty());
  app.stop();
}

TEST_CASE_METHOD(testing::wamp_fixture, "a subscription and a registration the router refuses to restore are reported and dropped",
                 "[client][reconnect]") {
  testing::recorder<w::id> joins;
  auto o = reconnecting(*this, "app", joins);
  testing::recorder<std::string> refused;
  o.on_restore_failed = [&](const w::uri& uri, std::exception_ptr why) {
    try {
      std::rethrow_exception(why);
    } catch (const ApplicationError& e) {
      refused.add(uri + " " + e.error());
    }
  };
  // The router refuses the second REGISTER and the second SUBSCRIBE (nth counts from 1): the
  // restoring ones.
  auto taken = faults().install(testing::match().type(w::message_type::register_).session("app").nth(2),
                                fault::answer_error("wamp.error.procedure_already_exists"));
  auto not_authorized = faults().install(testing::match().type(w::message_type::subscribe).session("app").nth(2),
                                         fault::answer_error("wamp.error.not_authorized"));
  AutobahnSync app({}, o);
  app.run();
  testing::event_recorder events;
  auto registration = app.session().register_procedure("com.taken", echo);
  auto subscription = app.session().subscribe("com.refused", events.handler());
  cut_transport(*this, app.session(), "app");
  REQUIRE(joins.wait_for(2));
  REQUIRE(refused.wait_for(2));
  auto reports = refused.items();
  std::sort(reports.begin(), reports.end());
  CHECK(reports == std::vector<std::string>{"com.refused wamp.error.not_authorized",
                                            "com.taken wamp.error.procedure_already_exists"});
  CHECK_FALSE(registration.active());
  CHECK_FALSE(subscription.active());
  // Dropped for good: the next reconnect does not try them again.
  cut_transport(*this, app.session(), "app");
  REQUIRE(joins.wait_for(3));  // a restoring REGISTER or SUBSCRIBE would have left before on_join
  CHECK(sent_by<w::register_>(*this, "app").size() == 2);
  CHECK(sent_by<w::subscribe>(*this, "app").size() == 2);
  registration.unregister();  // nothing left to undo
  CHECK(sent_by<w::unregister>(*this, "app").empty());
  app.stop();
}

TEST_CASE_METHOD(testing::wamp_fixture, "reconnect gives up after max_attempts", "[client][reconnect]") {
  auto o = options_for("app");
  o.reconnect.enabled = true;
  o.reconnect.initial_delay = 1ms;
  o.reconnect.max_delay = 2ms;
  o.reconnect.max_attempts = 3;
  // Counts connect attempts; once `refuse` is set they fail as a closed port would.
  std::atomic<bool> refuse{false};
  testing::recorder<int> attempts;
  o.connect = [&, connect = o.connect](boost::asio::any_io_executor ex, const std::string& url,
                                       w::connect_handler done) {
    attempts.add(1);
    if (!refuse) return connect(ex, url, std::move(done));
    boost::asio::post(ex, [done] { done(boost::asio::error::connection_refused, nullptr); });
  };
  AutobahnSync app({}, o);
  app.run();
  CHECK(app.last_error() == nullptr);
  refuse = true;
  cut_transport(*this, app.session(), "app");
  REQUIRE(attempts.wait_for(4));
  // Giving up is told: the session's requests and last_error() say so.
  REQUIRE(testing::eventually([&] { return app.last_error() != nullptr; }));
  CHECK_THROWS_MATCHES(std::rethrow_exception(app.last_error()), TransportLost,
                       Catch::Matchers::Predicate<TransportLost>([](const TransportLost& e) {
                         const std::string what = e.what();
                         return what.rfind("the session was lost and reconnecting gave up after 3 attempts: ", 0) == 0 &&
                                what.find("Connection refused") != std::string::npos;
                       }));
  CHECK_THROWS_WITH(app.session().call("com.x"), Catch::Contains("reconnecting gave up after 3 attempts"));
  CHECK_THROWS_AS(app.session().publish("com.x", {}, {}, publish_options{}), TransportLost);
  CHECK(app.running());  // as a lost session without reconnect: stop() ends the run
  app.stop();
  CHECK(attempts.size() == 4);
}

TEST_CASE("with no initial delay the reconnect attempts still back off, from 1 ms", "[client][reconnect]") {
  testing::wamp_fixture f(simulated());
  std::atomic<bool> refuse{false};
  testing::recorder<std::chrono::milliseconds> attempts;  // virtual time of each failed attempt
  auto& app = f.client("flaky", {}, [&](AutobahnSync& a) {
    reconnect_at_once(a, 6);
    a.options().connect = [&, connect = a.options().connect](boost::asio::any_io_executor ex, const std::string& url,
                                                             w::connect_handler done) {
      if (!refuse) return connect(ex, url, std::move(done));
      attempts.add(f.sim()->elapsed());
      boost::asio::post(ex, [done] { done(boost::asio::error::connection_refused, nullptr); });
    };
  });
  refuse = true;
  kill_session(f, app);
  REQUIRE(attempts.wait_for(6));
  const auto at = attempts.items();
  std::vector<std::chrono::milliseconds> gaps;
  for (std::size_t i = 1; i < at.size(); ++i) gaps.push_back(at[i] - at[i - 1]);
  CHECK(gaps == std::vector<std::chrono::milliseconds>{1ms, 2ms, 4ms, 8ms, 16ms});
  REQUIRE(f.sim()->run_until([&] { return app.last_error() != nullptr; }, testing::simulation::time_point::max(),
                             "giving up"));
}

TEST_CASE("sessions lost right after their join back off and count toward max_attempts", "[client][reconnect]") {
  testing::wamp_fixture f(simulated());
  testing::recorder<std::chrono::milliseconds> attempts;  // virtual time of each attempt
  std::atomic<int> made{0};
  auto& app = f.client("flaky", {}, [&](AutobahnSync& a) {
    reconnect_at_once(a, 4);
    a.options().connect = [&, connect = a.options().connect](boost::asio::any_io_executor ex, const std::string& url,
                                                             w::connect_handler done) {
      // The first connect is run()'s. Past ten attempts, refuse (a client whose joins reset
      // the count would otherwise reconnect at once forever).
      if (++made > 1) attempts.add(f.sim()->elapsed());
      if (made <= 11) return connect(ex, url, std::move(done));
      boost::asio::post(ex, [done] { done(boost::asio::error::connection_refused, nullptr); });
    };
  });
  // From now on the router's WELCOME to it is followed by a GOODBYE (as a router that kills
  // each session as soon as it joined).
  const auto cut = f.faults().install(testing::match().type(w::message_type::welcome).session("flaky"),
                                      fault::inject_after(w::goodbye{{}, "wamp.close.killed"}));
  kill_session(f, app);
  REQUIRE(f.sim()->run_until([&] { return app.last_error() != nullptr; }, testing::simulation::time_point::max(),
                             "giving up"));
  // Each re-join was lost at once: four attempts, each joined, backing off from 1 ms.
  const auto at = attempts.items();
  REQUIRE(at.size() == 4);
  CHECK(at[1] - at[0] >= 1ms);
  CHECK(at[2] - at[1] >= 2ms);
  CHECK(at[3] - at[2] >= 4ms);
  CHECK(cut.hits() == 4);
  CHECK_THROWS_WITH(std::rethrow_exception(app.last_error()), Catch::StartsWith("the session was lost and reconnecting gave up after 4 attempts"));
}

TEST_CASE("a session that stayed joined a second starts the backoff and the count afresh", "[client][reconnect]") {
  testing::wamp_fixture f(simulated());
  testing::recorder<std::chrono::milliseconds> joins;  // virtual time of each join
  auto& app = f.client("flaky", {}, [&](AutobahnSync& a) {
    reconnect_at_once(a, 3);
    a.options().on_join = [&](w::id) { joins.add(f.sim()->elapsed()); };
  });
  // The first two re-joins are lost at once (the next two WELCOMEs); the third stays.
  auto welcome = testing::match().type(w::message_type::welcome).session("flaky");
  const auto cut2 = f.faults().install(testing::match(welcome).nth(1), fault::inject_after(w::goodbye{{}, "wamp.close.killed"}));
  const auto cut3 = f.faults().install(testing::match(welcome).nth(2), fault::inject_after(w::goodbye{{}, "wamp.close.killed"}));
  kill_session(f, app);
  REQUIRE(f.sim()->run_until([&] { return joins.size() == 4 && app.session().is_joined(); },
                             testing::simulation::time_point::max(), "the third re-join"));
  // Three attempts are spent. After a second joined, a loss starts afresh: at once, not given up.
  f.advance(std::chrono::seconds(1));
  const auto lost_at = f.sim()->elapsed();
  kill_session(f, app);
  REQUIRE(f.sim()->run_until([&] { return joins.size() == 5 || app.last_error() != nullptr; },
                             testing::simulation::time_point::max(), "a re-join or giving up"));
  CHECK(app.last_error() == nullptr);
  REQUIRE(joins.size() == 5);
  CHECK(joins.items()[4] - lost_at == 0ms);
}

TEST_CASE_METHOD(testing::wamp_fixture, "without reconnect (the default) a lost session stays lost",
                 "[client][reconnect]") {
  auto o = options_for("app");
  testing::recorder<bool> lost;
  o.on_leave = [&](std::exception_ptr why) {
    if (why) lost.add(true);
  };
  AutobahnSync app({}, o);
  app.run();
  cut_transport(*this, app.session(), "app");
  REQUIRE(lost.wait_for(1));
  CHECK_THROWS_AS(app.session().call("com.x"), TransportLost);
  app.stop();
  CHECK(sent_by<w::hello>(*this, "app").size() == 1);
}

TEST_CASE_METHOD(testing::wamp_fixture, "an unsubscribe or unregister whose session is lost meanwhile succeeds",
                 "[client][reconnect]") {
  testing::recorder<w::id> joins;
  AutobahnSync app({}, reconnecting(*this, "app", joins));
  app.run();
  testing::event_recorder events;
  auto subscription = app.session().subscribe("com.t", events.handler());
  auto registration = app.session().register_procedure("com.p", echo);
  // The connection goes down with the UNSUBSCRIBE, then with the UNREGISTER.
  auto cut_unsubscribe = faults().install(testing::match().type(w::message_type::unsubscribe).session("app"),
                                          fault::close_before());
  auto cut_unregister = faults().install(testing::match().type(w::message_type::unregister).session("app"),
                                         fault::close_before());
  CHECK_NOTHROW(subscription.unsubscribe());
  REQUIRE(joins.wait_for(2));
  CHECK_NOTHROW(registration.unregister());
  REQUIRE(joins.wait_for(3));
  // Neither comes back with the reconnects.
  CHECK(sent_by<w::subscribe>(*this, "app").size() == 1);
  CHECK(sent_by<w::register_>(*this, "app").size() == 2);  // restored once, before its UNREGISTER
  CHECK_THROWS_MATCHES(session("caller").call("com.p"), ApplicationError,
                       testing::has_error_uri("wamp.error.no_such_procedure"));
  app.stop();
}

TEST_CASE_METHOD(testing::wamp_fixture, "on_leave gets no error after a leave() whose GOODBYE the router never answers",
                 "[client][reconnect]") {
  auto o = options_for("app");
  o.leave_timeout = 200ms;
  testing::recorder<bool> left_with_error;
  o.on_leave = [&](std::exception_ptr why) { left_with_error.add(why != nullptr); };
  auto lost_goodbye = faults().install(testing::match().type(w::message_type::goodbye).session("app"), fault::drop());
  AutobahnSync app({}, o);
  app.run();
  app.session().leave();
  REQUIRE(left_with_error.wait_for(1));
  CHECK(left_with_error.items() == std::vector<bool>{false});
  app.stop();
}

TEST_CASE_METHOD(testing::wamp_fixture, "a session killed by the router reconnects and its procedures work again",
                 "[client][reconnect]") {
  testing::recorder<w::id> joins;
  auto o = reconnecting(*this, "callee", joins);
  AutobahnSync callee({}, o);
  callee.register_procedure("com.app.echo", echo);
  callee.run();
  auto& caller = session("caller");
  const auto first_session = callee.session().id();
  CHECK(the_router().with_core(
      [&](router::router_core& core) { return core.kill(first_session, "wamp.close.killed", "test"); }));
  REQUIRE(joins.wait_for(2));
  CHECK(callee.session().id() != first_session);
  // The REGISTER of the restoration went to the router before on_join ran, so the router
  // knows the procedure again before this CALL.
  auto r = caller.call("com.app.echo", {"back"});
  CHECK(r.args == w::list{"back"});
  stop_clients();
  callee.stop();
}

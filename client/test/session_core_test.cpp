// Unit tests of the sans-I/O session core: router messages are fed in directly and the
// messages the core emits are checked.
#include "client/session_core.hpp"

#include <catch2/catch.hpp>

#include "client/errors.hpp"
#include "wamp/errc.hpp"

using namespace autobahn_sync;
namespace w = autobahn_sync::wamp;

namespace {

struct harness {
  std::vector<w::message> sent;
  std::vector<std::exception_ptr> closes;
  std::vector<w::id> interrupts;
  std::vector<std::uint64_t> revoked;
  boost::system::error_code send_error;
  challenge_handler on_challenge;
  session_core core{session_core::hooks{
      [this](const w::message& m) {
        if (send_error) return send_error;
        sent.push_back(m);
        return boost::system::error_code{};
      },
      {},
      [this](std::exception_ptr why) { closes.push_back(why); },
      [this](const w::challenge& c) { return on_challenge(c); },
      [this](w::id r) { interrupts.push_back(r); },
      {},
      [this](std::uint64_t key) { revoked.push_back(key); }}};

  template <class T>
  T last() {
    REQUIRE(!sent.empty());
    REQUIRE(std::holds_alternative<T>(sent.back()));
    return std::get<T>(sent.back());
  }

  // `dealer_cancels`: the WELCOME announces call_canceling (fox-wamp's does not).
  void joined(bool dealer_cancels = true) {
    core.join(join_options{"realm1"});
    w::dict details{{"authid", "anon"}};
    if (dealer_cancels) details["roles"] = {{"dealer", {{"features", {{"call_canceling", true}}}}}};
    core.on_message(w::welcome{4242, std::move(details)});
    REQUIRE(core.current_state() == session_core::state::established);
    sent.clear();
  }
};

template <class E>
void require_throws_as(std::exception_ptr p) {
  REQUIRE(p);
  REQUIRE_THROWS_AS(std::rethrow_exception(p), E);
}

}  // namespace

TEST_CASE("HELLO announces realm, auth and the client roles and features", "[unit][core]") {
  harness h;
  h.core.join(join_options{"realm9", {"ticket", "wampcra"}, "joe", "admin", {{"x", 1}}});
  auto hello = h.last<w::hello>();
  CHECK(hello.realm == "realm9");
  CHECK(hello.details["authmethods"] == w::value::array({"ticket", "wampcra"}));
  CHECK(hello.details["authid"] == "joe");
  CHECK(hello.details["authrole"] == "admin");
  CHECK(hello.details["authextra"]["x"] == 1);
  auto& roles = hello.details["roles"];
  for (auto role : {"caller", "callee", "publisher", "subscriber"}) CHECK(roles.contains(role));
  CHECK(roles["caller"]["features"]["progressive_call_results"] == true);
  CHECK(roles["caller"]["features"]["call_canceling"] == true);
  CHECK(roles["caller"]["features"]["call_timeout"] == true);
  CHECK(roles["caller"]["features"]["caller_identification"] == true);
  CHECK(roles["callee"]["features"]["pattern_based_registration"] == true);
  CHECK(roles["publisher"]["features"]["publisher_exclusion"] == true);
  CHECK(roles["publisher"]["features"]["subscriber_blackwhite_listing"] == true);
  CHECK(roles["subscriber"]["features"]["pattern_based_subscription"] == true);
  CHECK(roles["subscriber"]["features"]["publisher_identification"] == true);
}

TEST_CASE("anonymous HELLO sends no auth fields", "[unit][core]") {
  harness h;
  h.core.join(join_options{"realm1"});
  auto hello = h.last<w::hello>();
  CHECK_FALSE(hello.details.contains("authmethods"));
  CHECK_FALSE(hello.details.contains("authid"));
}

TEST_CASE("WELCOME establishes the session", "[unit][core]") {
  harness h;
  h.joined();
  CHECK(h.core.session_id() == 4242);
  CHECK(h.core.welcome_details().at("authid") == "anon");
}

TEST_CASE("requests before WELCOME throw SessionNotReady", "[unit][core]") {
  harness h;
  CHECK_THROWS_AS(h.core.call("p", {}, {}, {}, [](call_outcome&&) {}), SessionNotReady);
  h.core.join(join_options{});
  CHECK_THROWS_AS(h.core.publish("t", {}, {}, {}, [](auto, auto) {}), SessionNotReady);
}

TEST_CASE("CHALLENGE is answered by the handler's AUTHENTICATE", "[unit][core]") {
  harness h;
  h.on_challenge = [](const w::challenge& c) {
    CHECK(c.authmethod == "ticket");
    return w::authenticate{"secret", {}};
  };
  h.core.join(join_options{"realm1", {"ticket"}, "joe"});
  h.core.on_message(w::challenge{"ticket", {}});
  CHECK(h.last<w::authenticate>().signature == "secret");
  h.core.on_message(w::welcome{1, {}});
  CHECK(h.core.current_state() == session_core::state::established);
}

TEST_CASE("a throwing challenge handler aborts with cannot_authenticate", "[unit][core]") {
  harness h;
  h.on_challenge = [](const w::challenge&) -> w::authenticate {
    throw std::runtime_error("no key");
  };
  h.core.join(join_options{});
  h.core.on_message(w::challenge{"cryptosign", {}});
  CHECK(h.last<w::abort>().reason == "wamp.error.cannot_authenticate");
  REQUIRE(h.closes.size() == 1);
  require_throws_as<AbortError>(h.closes[0]);
  CHECK(h.core.current_state() == session_core::state::closed);
}

TEST_CASE("ABORT on join closes with AbortError carrying reason and details", "[unit][core]") {
  harness h;
  h.core.join(join_options{"nope"});
  h.core.on_message(w::abort{{{"message", "no such realm"}}, "wamp.error.no_such_realm"});
  REQUIRE(h.closes.size() == 1);
  try {
    std::rethrow_exception(h.closes[0]);
  } catch (const AbortError& e) {
    CHECK(e.reason() == "wamp.error.no_such_realm");
    CHECK(e.details().at("message") == "no such realm");
  }
}

TEST_CASE("call completes with RESULT, progressive results first", "[unit][core]") {
  harness h;
  h.joined();
  std::vector<call_outcome> outcomes;
  auto request = h.core.call("com.add", {1, 2}, {{"k", true}}, {{"receive_progress", true}},
                             [&](call_outcome&& o) { outcomes.push_back(std::move(o)); });
  auto call = h.last<w::call>();
  CHECK(call.request == request);
  CHECK(call.procedure == "com.add");
  CHECK(call.args == w::list{1, 2});
  CHECK(call.options["receive_progress"] == true);
  h.core.on_message(w::result{request, {{"progress", true}}, {1}});
  h.core.on_message(w::result{request, {}, {3}});
  h.core.on_message(w::result{request, {}, {4}});  // no longer pending: dropped
  REQUIRE(outcomes.size() == 2);
  CHECK(outcomes[0].progress);
  CHECK(outcomes[0].result.args == w::list{1});
  CHECK_FALSE(outcomes[1].progress);
  CHECK(outcomes[1].result.args == w::list{3});
  CHECK(h.core.pending_count() == 0);
}

TEST_CASE("ERROR maps onto NotAuthorized, InvalidUri and ApplicationError", "[unit][core]") {
  harness h;
  h.joined();
  auto [uri, check] = GENERATE(table<std::string, int>({
      {"wamp.error.not_authorized", 0},
      {"wamp.error.invalid_uri", 1},
      {"com.app.oops", 2},
  }));
  std::exception_ptr error;
  auto request = h.core.call("p", {}, {}, {}, [&](call_outcome&& o) { error = o.error; });
  h.core.on_message(w::error{w::message_type::call, request, {}, uri, {"why"}, {{"n", 7}}});
  REQUIRE(error);
  try {
    std::rethrow_exception(error);
  } catch (const ApplicationError& e) {
    CHECK(e.error() == uri);
    CHECK(e.args() == w::list{"why"});
    CHECK(e.kwargs().at("n") == 7);
    CHECK(e.error_message() == uri + ": why");
    if (check == 0) CHECK(dynamic_cast<const NotAuthorized*>(&e));
    if (check == 1) CHECK(dynamic_cast<const InvalidUri*>(&e));
    if (check == 2) {
      CHECK_FALSE(dynamic_cast<const NotAuthorized*>(&e));
      CHECK_FALSE(dynamic_cast<const InvalidUri*>(&e));
    }
  }
}

TEST_CASE("cancel sends CANCEL and may complete the call locally", "[unit][core]") {
  harness h;
  h.joined();
  std::exception_ptr error;
  auto request = h.core.call("slow", {}, {}, {}, [&](call_outcome&& o) { error = o.error; });
  h.core.cancel(request, "killnowait",
                std::make_exception_ptr(ApplicationError("wamp.error.timeout")));
  auto cancel = h.last<w::cancel>();
  CHECK(cancel.request == request);
  CHECK(cancel.options["mode"] == "killnowait");
  require_throws_as<ApplicationError>(error);
  // The router's late answer is dropped.
  h.core.on_message(w::error{w::message_type::call, request, {}, "wamp.error.canceled"});
  CHECK(h.closes.empty());
}

TEST_CASE("a router that does not announce call_canceling gets no CANCEL: the call ends at once", "[unit][core]") {
  harness h;
  h.joined(false);
  std::exception_ptr error;
  int outcomes = 0;
  auto request = h.core.call("slow", {}, {}, {}, [&](call_outcome&& o) {
    error = o.error;
    ++outcomes;
  });
  h.sent.clear();
  h.core.cancel(request, "kill");
  CHECK(h.sent.empty());
  REQUIRE(outcomes == 1);
  try {
    std::rethrow_exception(error);
  } catch (const ApplicationError& e) {
    CHECK(e.error() == "wamp.error.canceled");
  }
  h.core.on_message(w::result{request, {}, {1}});  // a late answer is dropped
  CHECK(outcomes == 1);
  CHECK(h.closes.empty());
}

TEST_CASE("request ids from next_request_id must be in range and not in use", "[unit][core]") {
  w::id next = 7;
  std::vector<w::message> sent;
  session_core core{session_core::hooks{[&](const w::message& m) {
                                          sent.push_back(m);
                                          return boost::system::error_code{};
                                        },
                                        {}, {}, {}, {}, [&] { return next; }, {}}};
  core.join(join_options{"realm1"});
  core.on_message(w::welcome{4242, {}});
  sent.clear();
  core.call("a", {}, {}, {}, [](call_outcome&&) {});
  CHECK_THROWS_WITH(core.call("b", {}, {}, {}, [](call_outcome&&) {}),
                    "next_request_id gave 7, which a pending request uses");
  next = 0;
  CHECK_THROWS_WITH(core.call("c", {}, {}, {}, [](call_outcome&&) {}), Catch::Contains("not an id in 1..2^53"));
  next = 8;
  CHECK(core.call("d", {}, {}, {}, [](call_outcome&&) {}) == 8);
  CHECK(sent.size() == 2);  // the CALLs of a and d only
}

TEST_CASE("publish without acknowledge completes once sent; with, on PUBLISHED", "[unit][core]") {
  harness h;
  h.joined();
  int done = 0;
  w::id publication = 99;
  h.core.publish("t", {"a"}, {}, {}, [&](std::exception_ptr e, w::id p) {
    CHECK_FALSE(e);
    ++done;
    publication = p;
  });
  CHECK(done == 1);
  CHECK(publication == 0);
  CHECK(h.last<w::publish>().topic == "t");
  auto request = h.core.publish("t", {}, {}, {{"acknowledge", true}},
                                [&](std::exception_ptr, w::id p) { ++done, publication = p; });
  CHECK(done == 1);
  h.core.on_message(w::published{request, 555});
  CHECK(done == 2);
  CHECK(publication == 555);
}

TEST_CASE("subscribe, EVENT dispatch, shared subscription, unsubscribe", "[unit][core]") {
  harness h;
  h.joined();
  std::vector<w::event> a_events, b_events;
  std::uint64_t a_key = 0, b_key = 0;
  auto r1 = h.core.subscribe("t", {{"match", "prefix"}},
                             [&](const w::event& e) { a_events.push_back(e); },
                             [&](std::exception_ptr, std::uint64_t k) { a_key = k; });
  CHECK(h.last<w::subscribe>().options["match"] == "prefix");
  h.core.on_message(w::subscribed{r1, 77});
  auto r2 = h.core.subscribe("t", {}, [&](const w::event& e) { b_events.push_back(e); },
                             [&](std::exception_ptr, std::uint64_t k) { b_key = k; });
  h.core.on_message(w::subscribed{r2, 77});
  REQUIRE(a_key != 0);
  REQUIRE(b_key != 0);
  h.core.on_message(w::event{77, 1, {{"topic", "t.x"}}, {"hi"}});
  h.core.on_message(w::event{78, 2, {}, {}});  // unknown subscription: dropped
  CHECK(a_events.size() == 1);
  CHECK(b_events.size() == 1);
  CHECK(a_events[0].details["topic"] == "t.x");
  // Removing one of two local subscriptions does not reach the router.
  bool done = false;
  h.sent.clear();
  h.core.unsubscribe(a_key, [&](std::exception_ptr e) { done = !e; });
  CHECK(done);
  CHECK(h.sent.empty());
  h.core.on_message(w::event{77, 3, {}, {}});
  CHECK(a_events.size() == 1);
  CHECK(b_events.size() == 2);
  done = false;
  h.core.unsubscribe(b_key, [&](std::exception_ptr e) { done = !e; });
  auto unsub = h.last<w::unsubscribe>();
  CHECK(unsub.subscription == 77);
  CHECK_FALSE(done);
  h.core.on_message(w::unsubscribed{unsub.request});
  CHECK(done);
}

TEST_CASE("a SUBSCRIBE answered before the UNSUBSCRIBE of the same subscription is sent again after it",
          "[unit][core]") {
  // Two threads: one unsubscribes the topic's last handler while the other subscribes to it.
  // The router saw the SUBSCRIBE first, so it answers with the subscription the UNSUBSCRIBE
  // then removes; keeping that answer would leave a handler that never gets an event.
  harness h;
  h.joined();
  std::uint64_t old_key = 0;
  h.core.subscribe("t", {}, [](const w::event&) {}, [&](std::exception_ptr, std::uint64_t k) { old_key = k; });
  h.core.on_message(w::subscribed{h.last<w::subscribe>().request, 77});
  REQUIRE(old_key != 0);

  std::vector<w::event> events;
  std::uint64_t new_key = 0;
  std::exception_ptr new_error;
  const auto first = h.core.subscribe("t", {{"match", "exact"}}, [&](const w::event& e) { events.push_back(e); },
                                      [&](std::exception_ptr e, std::uint64_t k) { new_error = e, new_key = k; });
  h.core.unsubscribe(old_key, [](std::exception_ptr) {});
  const auto unsubscribe = h.last<w::unsubscribe>();
  h.sent.clear();
  h.core.on_message(w::subscribed{first, 77});  // the subscription about to go
  CHECK(new_key == 0);
  const auto again = h.last<w::subscribe>();
  CHECK(again.request != first);
  CHECK(again.topic == "t");
  CHECK(again.options == w::dict{{"match", "exact"}});
  h.core.on_message(w::event{77, 1, {}, {}});  // before the UNSUBSCRIBED: nobody's
  h.core.on_message(w::unsubscribed{unsubscribe.request});
  h.core.on_message(w::subscribed{again.request, 78});
  REQUIRE(new_key != 0);
  CHECK_FALSE(new_error);
  h.core.on_message(w::event{78, 2, {}, {}});
  REQUIRE(events.size() == 1);
  CHECK(events[0].publication == 2);
  CHECK(h.core.pending_count() == 0);

  // Once the UNSUBSCRIBED came, the id is nothing special: a router may hand it out again.
  std::uint64_t reused = 0;
  h.sent.clear();
  h.core.subscribe("u", {}, [](const w::event&) {}, [&](std::exception_ptr, std::uint64_t k) { reused = k; });
  h.core.on_message(w::subscribed{h.last<w::subscribe>().request, 77});
  CHECK(reused != 0);
  CHECK(h.sent.size() == 1);
}

TEST_CASE("a SUBSCRIBE is sent again once at most, and not when the UNSUBSCRIBE failed", "[unit][core]") {
  harness h;
  h.joined();
  std::uint64_t old_key = 0, new_key = 0;
  h.core.subscribe("t", {}, [](const w::event&) {}, [&](std::exception_ptr, std::uint64_t k) { old_key = k; });
  h.core.on_message(w::subscribed{h.last<w::subscribe>().request, 77});
  const auto first = h.core.subscribe("t", {}, [](const w::event&) {}, [&](std::exception_ptr, std::uint64_t k) { new_key = k; });
  h.core.unsubscribe(old_key, [](std::exception_ptr) {});
  const auto unsubscribe = h.last<w::unsubscribe>();
  h.sent.clear();
  SECTION("a router that never answers the UNSUBSCRIBE does not make the SUBSCRIBE loop") {
    h.core.on_message(w::subscribed{first, 77});
    REQUIRE(h.sent.size() == 1);
    h.core.on_message(w::subscribed{h.last<w::subscribe>().request, 77});  // the repetition's answer
    CHECK(h.sent.size() == 1);
    CHECK(new_key != 0);
  }
  SECTION("an UNSUBSCRIBE answered with ERROR left the subscription as it was: the SUBSCRIBED stands") {
    h.core.on_message(w::error{w::message_type::unsubscribe, unsubscribe.request, {}, "wamp.error.no_such_subscription"});
    h.core.on_message(w::subscribed{first, 77});
    CHECK(h.sent.empty());
    CHECK(new_key != 0);
  }
}

TEST_CASE("a REGISTER is sent again once at most", "[unit][core]") {
  harness h;
  h.joined();
  std::uint64_t old_key = 0;
  std::exception_ptr error;
  h.core.register_procedure("p", {}, [](w::invocation&&) {}, [&](std::exception_ptr, std::uint64_t k) { old_key = k; });
  h.core.on_message(w::registered{h.last<w::register_>().request, 5});
  const auto first = h.core.register_procedure("p", {}, [](w::invocation&&) {}, [&](std::exception_ptr e, std::uint64_t) { error = e; });
  h.core.unregister(old_key, [](std::exception_ptr) {});
  h.sent.clear();
  h.core.on_message(w::error{w::message_type::register_, first, {}, "wamp.error.procedure_already_exists"});
  REQUIRE(h.sent.size() == 1);
  // The UNREGISTERED never came; the repetition is refused too: that error is the caller's.
  h.core.on_message(w::error{w::message_type::register_, h.last<w::register_>().request, {},
                             "wamp.error.procedure_already_exists"});
  CHECK(h.sent.size() == 1);
  require_throws_as<ApplicationError>(error);
}

TEST_CASE("a REGISTER refused because our own registration still held the URI is sent again after its UNREGISTER",
          "[unit][core]") {
  harness h;
  h.joined();
  std::uint64_t old_key = 0;
  h.core.register_procedure("p", {}, [](w::invocation&&) {}, [&](std::exception_ptr, std::uint64_t k) { old_key = k; });
  h.core.on_message(w::registered{h.last<w::register_>().request, 5});
  REQUIRE(old_key != 0);

  int invocations = 0;
  std::uint64_t new_key = 0;
  std::exception_ptr new_error;
  const auto first = h.core.register_procedure("p", {}, [&](w::invocation&&) { ++invocations; },
                                               [&](std::exception_ptr e, std::uint64_t k) { new_error = e, new_key = k; });
  h.core.unregister(old_key, [](std::exception_ptr) {});
  const auto unregister = h.last<w::unregister>();
  h.sent.clear();
  h.core.on_message(w::error{w::message_type::register_, first, {}, "wamp.error.procedure_already_exists"});
  CHECK_FALSE(new_error);
  const auto again = h.last<w::register_>();
  CHECK(again.request != first);
  CHECK(again.procedure == "p");
  h.core.on_message(w::unregistered{unregister.request});
  h.core.on_message(w::registered{again.request, 6});
  REQUIRE(new_key != 0);
  CHECK_FALSE(new_error);
  h.core.on_message(w::invocation{100, 6, {}, {}});
  CHECK(invocations == 1);
  CHECK(h.core.pending_count() == 0);

  // With no UNREGISTER of ours in flight, the URI is someone else's: the error stands.
  h.sent.clear();
  const auto taken = h.core.register_procedure("q", {}, [](w::invocation&&) {},
                                               [&](std::exception_ptr e, std::uint64_t) { new_error = e; });
  h.core.on_message(w::error{w::message_type::register_, taken, {}, "wamp.error.procedure_already_exists"});
  CHECK(h.sent.size() == 1);
  require_throws_as<ApplicationError>(new_error);
}

TEST_CASE("a revoked subscription or registration is reported by its local keys", "[unit][core]") {
  harness h;
  h.joined();
  std::uint64_t a = 0, b = 0, reg = 0;
  int events = 0;
  h.core.subscribe("t", {}, [&](const w::event&) { ++events; }, [&](std::exception_ptr, std::uint64_t k) { a = k; });
  h.core.on_message(w::subscribed{h.last<w::subscribe>().request, 77});
  h.core.subscribe("t", {}, [&](const w::event&) { ++events; }, [&](std::exception_ptr, std::uint64_t k) { b = k; });
  h.core.on_message(w::subscribed{h.last<w::subscribe>().request, 77});
  h.core.register_procedure("p", {}, [](w::invocation&&) {}, [&](std::exception_ptr, std::uint64_t k) { reg = k; });
  h.core.on_message(w::registered{h.last<w::register_>().request, 5});
  h.core.on_message(w::unsubscribed{0, {{"subscription", 99}, {"reason", "wamp.error.gone"}}});  // not ours
  CHECK(h.revoked.empty());
  h.core.on_message(w::unsubscribed{0, {{"subscription", 77}, {"reason", "wamp.error.gone"}}});
  CHECK(h.revoked == std::vector<std::uint64_t>{a, b});
  h.core.on_message(w::event{77, 1, {}, {}});
  CHECK(events == 0);
  h.core.on_message(w::unregistered{0, {{"registration", 5}}});
  CHECK(h.revoked == std::vector<std::uint64_t>{a, b, reg});
  h.core.on_message(w::invocation{100, 5, {}, {}});
  CHECK(h.last<w::error>().error_uri == "wamp.error.no_such_registration");
}

TEST_CASE("a REGISTERED with a registration id the session already holds is a protocol violation", "[unit][core]") {
  harness h;
  h.joined();
  int first_runs = 0;
  h.core.register_procedure("p", {}, [&](w::invocation&&) { ++first_runs; }, [](auto, auto) {});
  h.core.on_message(w::registered{h.last<w::register_>().request, 5});
  std::exception_ptr second_error;
  std::uint64_t second_key = 0;
  h.core.register_procedure("q", {}, [](w::invocation&&) {}, [&](std::exception_ptr e, std::uint64_t k) {
    second_error = e;
    second_key = k;
  });
  h.core.on_message(w::registered{h.last<w::register_>().request, 5});
  CHECK(h.last<w::abort>().reason == "wamp.error.protocol_violation");
  CHECK(h.last<w::abort>().details.at("message").get<std::string>().find("registration id 5") != std::string::npos);
  require_throws_as<ProtocolError>(second_error);
  CHECK(second_key == 0);
  REQUIRE(h.closes.size() == 1);
  require_throws_as<ProtocolError>(h.closes[0]);
  CHECK(first_runs == 0);
}

TEST_CASE("register, INVOCATION dispatch, YIELD and ERROR answers", "[unit][core]") {
  harness h;
  h.joined();
  std::vector<w::invocation> invocations;
  std::uint64_t key = 0;
  auto r = h.core.register_procedure("com.p", {{"invoke", "roundrobin"}},
                                     [&](w::invocation&& i) { invocations.push_back(i); },
                                     [&](std::exception_ptr, std::uint64_t k) { key = k; });
  CHECK(h.last<w::register_>().options["invoke"] == "roundrobin");
  h.core.on_message(w::registered{r, 5});
  REQUIRE(key != 0);
  h.core.on_message(w::invocation{100, 5, {}, {1}});
  h.core.on_message(w::invocation{101, 5, {}, {2}});
  REQUIRE(invocations.size() == 2);
  h.core.yield(100, {"p"}, {}, true);
  CHECK(h.last<w::yield>().options["progress"] == true);
  h.core.yield(100, {"r"}, {});
  CHECK(h.last<w::yield>().args == w::list{"r"});
  h.sent.clear();
  h.core.yield(100, {"again"}, {});  // already answered: dropped
  CHECK(h.sent.empty());
  h.core.invocation_error(101, "com.err", {"bad"});
  auto err = h.last<w::error>();
  CHECK(err.request_type == w::message_type::invocation);
  CHECK(err.request == 101);
  CHECK(err.error_uri == "com.err");
  // Unknown registration.
  h.core.on_message(w::invocation{102, 6, {}, {}});
  CHECK(h.last<w::error>().error_uri == "wamp.error.no_such_registration");
}

TEST_CASE("a repeated INVOCATION request id is a protocol violation, even after the answer",
          "[unit][core]") {
  harness h;
  h.joined();
  int runs = 0;
  auto r = h.core.register_procedure("p", {}, [&](w::invocation&&) { ++runs; }, [](auto, auto) {});
  h.core.on_message(w::registered{r, 5});
  h.core.on_message(w::invocation{9, 5, {}, {}});
  h.core.yield(9, {}, {});
  h.core.on_message(w::invocation{9, 5, {}, {}});  // the same id again, after the YIELD
  CHECK(runs == 1);
  REQUIRE(h.closes.size() == 1);
  require_throws_as<ProtocolError>(h.closes[0]);
}

TEST_CASE("INTERRUPT answers ERROR canceled and drops the later YIELD", "[unit][core]") {
  harness h;
  h.joined();
  auto r = h.core.register_procedure("p", {}, [](w::invocation&&) {}, [](auto, auto) {});
  h.core.on_message(w::registered{r, 5});
  h.core.on_message(w::invocation{9, 5, {}, {}});
  h.core.on_message(w::interrupt{9, {{"mode", "kill"}}});
  CHECK(h.last<w::error>().error_uri == "wamp.error.canceled");
  CHECK(h.interrupts == std::vector<w::id>{9});
  h.sent.clear();
  h.core.yield(9, {}, {});
  CHECK(h.sent.empty());
}

TEST_CASE("transport loss fails every pending request at once with TransportLost",
          "[unit][core]") {
  harness h;
  h.joined();
  std::vector<std::exception_ptr> errors;
  h.core.call("p", {}, {}, {}, [&](call_outcome&& o) { errors.push_back(o.error); });
  h.core.publish("t", {}, {}, {{"acknowledge", true}},
                 [&](std::exception_ptr e, w::id) { errors.push_back(e); });
  h.core.subscribe("t", {}, {}, [&](std::exception_ptr e, std::uint64_t) { errors.push_back(e); });
  h.core.register_procedure("p", {}, {},
                            [&](std::exception_ptr e, std::uint64_t) { errors.push_back(e); });
  h.core.on_transport_lost("connection reset");
  REQUIRE(errors.size() == 4);
  for (auto& e : errors) require_throws_as<TransportLost>(e);
  REQUIRE(h.closes.size() == 1);
  require_throws_as<TransportLost>(h.closes[0]);
  CHECK_THROWS_AS(h.core.call("p", {}, {}, {}, [](call_outcome&&) {}), TransportLost);
}

TEST_CASE("router GOODBYE is answered and closes the session", "[unit][core]") {
  harness h;
  h.joined();
  std::exception_ptr error;
  h.core.call("p", {}, {}, {}, [&](call_outcome&& o) { error = o.error; });
  h.core.on_message(w::goodbye{{}, "wamp.close.system_shutdown"});
  CHECK(h.last<w::goodbye>().reason == "wamp.close.goodbye_and_out");
  require_throws_as<TransportLost>(error);
  CHECK(h.core.current_state() == session_core::state::closed);
}

TEST_CASE("leave sends GOODBYE, waits for the router's, then closes cleanly", "[unit][core]") {
  harness h;
  h.joined();
  h.core.leave();
  CHECK(h.last<w::goodbye>().reason == "wamp.close.normal");
  CHECK(h.core.current_state() == session_core::state::leaving);
  h.core.on_message(w::event{1, 1, {}, {}});  // discarded while leaving
  CHECK(h.closes.empty());
  h.core.on_message(w::goodbye{{}, "wamp.close.goodbye_and_out"});
  REQUIRE(h.closes.size() == 1);
  CHECK_FALSE(h.closes[0]);
}

TEST_CASE("a router message a client never receives is a protocol violation",
          "[unit][core]") {
  harness h;
  h.joined();
  std::exception_ptr error;
  h.core.call("p", {}, {}, {}, [&](call_outcome&& o) { error = o.error; });
  h.core.on_message(w::call{1, {}, "x"});
  CHECK(h.last<w::abort>().reason == "wamp.error.protocol_violation");
  require_throws_as<ProtocolError>(error);
  REQUIRE(h.closes.size() == 1);
  require_throws_as<ProtocolError>(h.closes[0]);
}

TEST_CASE("an encoding failure throws SerializationError and leaves nothing pending",
          "[unit][core]") {
  harness h;
  h.joined();
  h.send_error = w::make_error_code(w::errc::invalid_utf8);
  CHECK_THROWS_AS(h.core.call("p", {"\xff"}, {}, {}, [](call_outcome&&) {}), SerializationError);
  CHECK(h.core.pending_count() == 0);
  h.send_error = w::make_error_code(w::errc::not_connected);
  CHECK_THROWS_AS(h.core.publish("t", {}, {}, {}, [](auto, auto) {}), TransportLost);
}

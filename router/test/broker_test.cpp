// Publish and subscribe through the router core.
#include "router/router_core.hpp"

#include <memory>
#include <set>
#include <vector>

#include <catch2/catch.hpp>

#include "router/test/peer.hpp"
#include "router/uris.hpp"

namespace wamp = autobahn_sync::wamp;
namespace router = autobahn_sync::router;
using router::test::peer;

namespace {

struct fixture {
  router::router_core core{[] {
    router::core_options o;
    o.seed = 11;
    return o;
  }()};
  router::realm& realm = core.add_realm({"realm1"});

  wamp::id subscribe(peer& p, const std::string& topic, const std::string& match = "exact", wamp::id request = 1) {
    p.send(wamp::subscribe{request, {{"match", match}}, topic});
    return p.expect<wamp::subscribed>().subscription;
  }
};

}  // namespace

TEST_CASE("an event reaches every subscriber but the publisher", "[unit]") {
  fixture f;
  peer a(f.core), b(f.core), c(f.core);
  a.join();
  b.join();
  c.join();
  const auto sub_a = f.subscribe(a, "com.example.topic");
  const auto sub_b = f.subscribe(b, "com.example.topic");
  CHECK(sub_a == sub_b);  // one subscription, two subscribers
  f.subscribe(c, "com.example.topic");
  a.send(wamp::publish{2, {}, "com.example.topic", {1, "two"}, {{"k", 3}}});
  a.expect_nothing();  // exclude_me defaults to true, no acknowledge asked
  for (peer* p : {&b, &c}) {
    const auto e = p->expect<wamp::event>();
    CHECK(e.subscription == sub_a);
    CHECK(e.args == wamp::list{1, "two"});
    CHECK(e.kwargs.at("k") == 3);
    CHECK_FALSE(e.details.count("publisher"));
  }
}

TEST_CASE("acknowledge, exclude_me false and disclose_me", "[unit]") {
  fixture f;
  peer a(f.core);
  a.join();
  f.subscribe(a, "t.x");
  a.send(wamp::publish{7, {{"acknowledge", true}, {"exclude_me", false}, {"disclose_me", true}}, "t.x"});
  const auto e = a.expect<wamp::event>();
  CHECK(e.details.at("publisher") == a.session_id());
  CHECK(e.details.count("publisher_authid"));
  const auto published = a.expect<wamp::published>();
  CHECK(published.request == 7);
  CHECK(published.publication == e.publication);
}

TEST_CASE("prefix and wildcard subscriptions carry the topic", "[unit]") {
  fixture f;
  peer s(f.core), pub(f.core);
  s.join();
  pub.join();
  const auto prefix = f.subscribe(s, "com.example", "prefix", 1);
  const auto wildcard = f.subscribe(s, "com..update", "wildcard", 2);
  pub.send(wamp::publish{1, {}, "com.example.update"});
  // Matched by both subscriptions: one event per subscription.
  auto e1 = s.expect<wamp::event>();
  auto e2 = s.expect<wamp::event>();
  std::set<wamp::id> subs{e1.subscription, e2.subscription};
  CHECK(subs == std::set<wamp::id>{prefix, wildcard});
  CHECK(e1.details.at("topic") == "com.example.update");
  pub.send(wamp::publish{2, {}, "com.other.update"});
  CHECK(s.expect<wamp::event>().subscription == wildcard);
  pub.send(wamp::publish{3, {}, "org.example"});
  s.expect_nothing();
}

TEST_CASE("black and white listing by session, authid and authrole", "[unit]") {
  fixture f;
  peer a(f.core), b(f.core), c(f.core);
  a.join();
  b.join();
  c.join();
  f.subscribe(b, "t");
  f.subscribe(c, "t");
  SECTION("exclude") {
    a.send(wamp::publish{1, {{"exclude", {b.session_id()}}}, "t"});
    b.expect_nothing();
    c.expect<wamp::event>();
  }
  SECTION("eligible") {
    a.send(wamp::publish{1, {{"eligible", {c.session_id()}}}, "t"});
    b.expect_nothing();
    c.expect<wamp::event>();
  }
  SECTION("eligible_authrole and exclude_authrole") {
    a.send(wamp::publish{2, {{"eligible_authrole", {"nobody"}}}, "t"});
    a.send(wamp::publish{3, {{"exclude_authrole", {"anonymous"}}}, "t"});
    b.expect_nothing();
    c.expect_nothing();
  }
}

TEST_CASE("unsubscribe, and unknown subscriptions", "[unit]") {
  fixture f;
  peer a(f.core), b(f.core);
  a.join();
  b.join();
  const auto sub = f.subscribe(a, "t");
  b.send(wamp::unsubscribe{5, sub});  // b is not subscribed
  CHECK(b.expect_error(router::uris::no_such_subscription).request == 5);
  a.send(wamp::unsubscribe{6, sub});
  CHECK(a.expect<wamp::unsubscribed>().request == 6);
  CHECK(f.realm.the_broker().subscription_count() == 0);
  b.send(wamp::publish{1, {}, "t"});
  a.expect_nothing();
  a.send(wamp::unsubscribe{7, sub});
  a.expect_error(router::uris::no_such_subscription);
}

TEST_CASE("invalid URIs and match policies are refused", "[unit]") {
  fixture f;
  peer a(f.core);
  a.join();
  a.send(wamp::subscribe{1, {}, "bad uri"});
  a.expect_error(router::uris::invalid_uri);
  a.send(wamp::subscribe{2, {{"match", "regex"}}, "a"});
  a.expect_error(router::uris::invalid_argument);
  a.send(wamp::subscribe{3, {}, "a..b"});
  a.expect_error(router::uris::invalid_uri);
  a.send(wamp::publish{4, {{"acknowledge", true}}, "a..b"});
  a.expect_error(router::uris::invalid_uri);
  a.send(wamp::publish{5, {{"acknowledge", true}}, "wamp.session.on_join"});
  a.expect_error(router::uris::invalid_uri);
  a.send(wamp::publish{6, {}, "a..b"});  // without acknowledge: dropped silently
  a.expect_nothing();
}

TEST_CASE("a leaving subscriber frees its subscriptions", "[unit]") {
  fixture f;
  peer a(f.core);
  {
    peer b(f.core);
    b.join();
    f.subscribe(b, "t");
    f.subscribe(b, "u", "prefix", 2);
    CHECK(f.realm.the_broker().subscription_count() == 2);
  }
  CHECK(f.realm.the_broker().subscription_count() == 0);
  a.join();
  a.send(wamp::publish{1, {{"acknowledge", true}}, "t"});
  a.expect<wamp::published>();
}

TEST_CASE("meta events announce joins and leaves", "[unit]") {
  fixture f;
  peer watcher(f.core);
  watcher.join();
  f.subscribe(watcher, "wamp.session.on_join", "exact", 1);
  f.subscribe(watcher, "wamp.session.on_leave", "exact", 2);
  wamp::id joined_id = 0;
  {
    peer p(f.core);
    joined_id = p.join().session;
    const auto join = watcher.expect<wamp::event>();
    CHECK(join.args.at(0).at("session") == joined_id);
  }
  const auto leave = watcher.expect<wamp::event>();
  CHECK(leave.args.at(0) == joined_id);
}

TEST_CASE("a history rule keeps its limit across all the topics it covers", "[unit]") {
  // Per rule, not per topic: a prefix rule over ever new topics must not grow without bound.
  router::router_core core;
  router::realm_config config{"realm1"};
  config.history = {{"com.example.sensor", wamp::match_policy::prefix, 2}};
  core.add_realm(config);
  peer p(core), reader(core);
  p.join();
  reader.join();
  int n = 0;
  for (const char* topic : {"com.example.sensor.1", "com.example.sensor.2", "com.example.sensor.3"})
    p.send(wamp::publish{static_cast<wamp::id>(++n), {}, topic, {n}});
  auto events_of = [&](const std::string& topic, const std::string& match) {
    reader.send(wamp::subscribe{1, {{"match", match}}, topic});
    const auto sub = reader.expect<wamp::subscribed>().subscription;
    reader.send(wamp::call{2, {}, "wamp.subscription.get_events", {sub, 10}});
    return reader.expect<wamp::result>().args.at(0);
  };
  const auto all = events_of("com.example.sensor", "prefix");
  REQUIRE(all.size() == 2);
  CHECK(all[0]["args"] == wamp::value::array({3}));  // the newest first
  CHECK(all[1]["args"] == wamp::value::array({2}));
  CHECK(events_of("com.example.sensor.1", "exact").empty());
  CHECK(events_of("com.example.sensor.3", "exact").size() == 1);
}

TEST_CASE("event history is served by wamp.subscription.get_events, the newest first, 10 by default", "[unit]") {
  // As Crossbar.io's: "at most limit events in reverse chronological order", limit=10.
  router::router_core core;
  router::realm_config config{"realm1"};
  config.history = {{"com.example.history", wamp::match_policy::prefix, 12}};
  core.add_realm(config);
  peer p(core), reader(core);
  p.join();
  reader.join();
  for (int i = 1; i <= 13; ++i) p.send(wamp::publish{static_cast<wamp::id>(i), {}, "com.example.history.a", {i}});
  reader.send(wamp::subscribe{1, {}, "com.example.history.a"});
  const auto sub = reader.expect<wamp::subscribed>().subscription;
  auto args_of = [](const wamp::value& events) {
    std::vector<int> out;
    for (const auto& e : events) out.push_back(e["args"][0].get<int>());
    return out;
  };
  reader.send(wamp::call{2, {}, "wamp.subscription.get_events", {sub}});
  CHECK(args_of(reader.expect<wamp::result>().args.at(0)) == std::vector<int>{13, 12, 11, 10, 9, 8, 7, 6, 5, 4});
  reader.send(wamp::call{3, {}, "wamp.subscription.get_events", {sub, 2}});
  CHECK(args_of(reader.expect<wamp::result>().args.at(0)) == std::vector<int>{13, 12});
  reader.send(wamp::call{4, {}, "wamp.subscription.get_events", {sub, 100}});
  CHECK(args_of(reader.expect<wamp::result>().args.at(0)).size() == 12);  // what the store keeps
}

TEST_CASE("events meant for some receivers only stay out of the event history", "[unit]") {
  router::router_core core;
  router::realm_config config{"realm1"};
  config.history = {{"com.example.history", wamp::match_policy::prefix, 10}};
  core.add_realm(config);
  peer p(core), reader(core);
  p.join();
  reader.join();
  const auto list_key = GENERATE(as<std::string>{}, "exclude", "eligible", "exclude_authid", "eligible_authid",
                                 "exclude_authrole", "eligible_authrole");
  CAPTURE(list_key);
  const bool by_session = list_key == "exclude" || list_key == "eligible";
  const wamp::value list = by_session ? wamp::value::array({p.session_id()}) : wamp::value::array({"someone"});
  p.send(wamp::publish{1, {{list_key, list}}, "com.example.history.a", {"restricted"}});
  p.send(wamp::publish{2, {}, "com.example.history.a", {"for all"}});
  reader.send(wamp::subscribe{1, {}, "com.example.history.a"});
  const auto sub = reader.expect<wamp::subscribed>().subscription;
  reader.send(wamp::call{2, {}, "wamp.subscription.get_events", {sub, 10}});
  const auto result = reader.expect<wamp::result>();
  const auto& events = result.args.at(0);
  REQUIRE(events.size() == 1);
  CHECK(events[0]["args"] == wamp::value::array({"for all"}));
}

TEST_CASE("exclude_authid and eligible_authid pick receivers by authid", "[unit]") {
  fixture f;
  peer pub(f.core), bob(f.core), carol(f.core);
  pub.join();
  bob.join("realm1", {{"authid", "bob"}});
  carol.join("realm1", {{"authid", "carol"}});
  f.subscribe(bob, "t");
  f.subscribe(carol, "t");
  pub.send(wamp::publish{1, {{"exclude_authid", {"bob"}}}, "t"});
  bob.expect_nothing();
  carol.expect<wamp::event>();
  pub.send(wamp::publish{2, {{"eligible_authid", {"bob"}}}, "t"});
  bob.expect<wamp::event>();
  carol.expect_nothing();
}

TEST_CASE("meta events announce subscriptions being created and deleted", "[unit]") {
  fixture f;
  peer watcher(f.core), p(f.core);
  watcher.join();
  p.join();
  f.subscribe(watcher, "wamp.subscription.on_delete", "exact", 1);
  f.subscribe(watcher, "wamp.subscription.on_create", "exact", 2);
  // Subscriptions to meta topics are not announced (as in Crossbar.io): not the watcher's own,
  // nor another watcher's.
  f.subscribe(p, "wamp.session.on_join", "exact", 3);
  watcher.expect_nothing();
  const auto sub = f.subscribe(p, "com.example.t");
  const auto created = watcher.expect<wamp::event>();
  CHECK(created.args.at(0) == p.session_id());
  CHECK(created.args.at(1).at("uri") == "com.example.t");
  CHECK(created.args.at(1).at("created").is_string());  // ISO 8601
  p.send(wamp::unsubscribe{2, sub});
  p.expect<wamp::unsubscribed>();
  const auto deleted = watcher.expect<wamp::event>();
  CHECK(deleted.args == wamp::list{p.session_id(), sub});
}

TEST_CASE("a session that leaves without unsubscribing is unsubscribed with the same meta events", "[unit]") {
  fixture f;
  peer watcher(f.core), stays(f.core), leaves(f.core);
  watcher.join();
  stays.join();
  leaves.join();
  const auto on_unsubscribe = f.subscribe(watcher, "wamp.subscription.on_unsubscribe", "exact", 1);
  const auto on_delete = f.subscribe(watcher, "wamp.subscription.on_delete", "exact", 2);
  const auto shared = f.subscribe(stays, "com.example.shared");
  CHECK(f.subscribe(leaves, "com.example.shared") == shared);
  const auto own = f.subscribe(leaves, "com.example.own", "exact", 2);
  // The leaving session watches too: it must hear nothing of its own leave.
  CHECK(f.subscribe(leaves, "wamp.subscription.on_unsubscribe", "exact", 3) == on_unsubscribe);
  const wamp::id left = leaves.session_id();
  leaves.send(wamp::goodbye{{}, router::uris::close_normal});
  CHECK(leaves.expect<wamp::goodbye>().reason == router::uris::goodbye_and_out);
  leaves.expect_nothing();

  std::set<std::pair<wamp::id, wamp::id>> unsubscribed, deleted;  // (meta topic's subscription, args[1])
  for (int i = 0; i < 3; ++i) {  // on_unsubscribe for both topics (not the meta one), on_delete for its own only
    const auto e = watcher.expect<wamp::event>();
    REQUIRE(e.args.size() == 2);
    CHECK(e.args.at(0) == left);
    (e.subscription == on_delete ? deleted : unsubscribed).insert({e.subscription, e.args.at(1).get<wamp::id>()});
  }
  watcher.expect_nothing();
  CHECK(unsubscribed == std::set<std::pair<wamp::id, wamp::id>>{
                            {on_unsubscribe, shared}, {on_unsubscribe, own}});
  CHECK(deleted == std::set<std::pair<wamp::id, wamp::id>>{{on_delete, own}});
  // The shared subscription lives on for the session that stays.
  const auto* record = f.realm.the_broker().find(shared);
  REQUIRE(record != nullptr);
  CHECK(record->subscribers == std::vector<wamp::id>{stays.session_id()});
}

TEST_CASE("a router shutting down, or a realm removed, says GOODBYE without meta events before it", "[unit]") {
  fixture f;
  std::vector<std::unique_ptr<peer>> peers;
  for (int i = 0; i < 4; ++i) {
    peers.push_back(std::make_unique<peer>(f.core));
    peers.back()->join();
    wamp::id request = 0;
    for (const char* topic : {"wamp.session.on_leave", "wamp.subscription.on_unsubscribe", "com.example.t"})
      f.subscribe(*peers.back(), topic, "exact", ++request);
  }
  const bool whole_router = GENERATE(true, false);
  CAPTURE(whole_router);
  if (whole_router) {
    f.core.shutdown(router::uris::system_shutdown);
  } else {
    REQUIRE(f.core.remove_realm("realm1"));
  }
  for (auto& p : peers) {
    CHECK(p->expect<wamp::goodbye>().reason == (whole_router ? router::uris::system_shutdown : router::uris::close_realm));
    p->expect_nothing();
  }
}

TEST_CASE("a PUBLISH whose receiver list is malformed reaches nobody; acknowledged, it gets invalid_argument",
          "[unit]") {
  fixture f;
  peer pub(f.core), sub(f.core);
  pub.join();
  sub.join();
  f.subscribe(sub, "t");
  const auto [key, value] = GENERATE(std::pair<std::string, wamp::value>{"eligible", 42},
                                     std::pair<std::string, wamp::value>{"exclude", wamp::value::array({"123"})},
                                     std::pair<std::string, wamp::value>{"eligible_authid", "alice"},
                                     std::pair<std::string, wamp::value>{"exclude_authrole", wamp::value::array({7})});
  CAPTURE(key, value.dump());
  pub.send(wamp::publish{1, {{key, value}}, "t", {"meant for few"}});
  pub.expect_nothing();
  sub.expect_nothing();
  pub.send(wamp::publish{2, {{key, value}, {"acknowledge", true}}, "t", {"meant for few"}});
  CHECK_THAT(pub.expect_error(router::uris::invalid_argument).args.at(0).get<std::string>(),
             Catch::StartsWith("options." + key + " must be a list of"));
  sub.expect_nothing();
}

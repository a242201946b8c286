// Publish and subscribe through the fixture's router: event details, publish options,
// pattern subscriptions, and that unsubscribing stops delivery.
#include "client/autobahn_sync.hpp"

#include <atomic>
#include <future>

#include <catch2/catch.hpp>

#include "client/test/trace_messages.hpp"
#include "testing/matchers.hpp"
#include "testing/recorder.hpp"
#include "testing/wamp_fixture.hpp"

using namespace autobahn_sync;
namespace w = autobahn_sync::wamp;
namespace testing = autobahn_sync::testing;
namespace fault = autobahn_sync::testing::fault;
using test::sent_by;

namespace {

publish_options to_me_too() {
  publish_options po;
  po.exclude_me = false;
  po.acknowledge = true;
  return po;
}

// Proves that nothing more is on its way to `s`'s handlers: an event published after
// everything else arrives after it (one handler queue per session, in order).
void round_trip_through_handlers(SyncSession& s) {
  testing::event_recorder marker;
  s.subscribe("com.marker", marker.handler());
  s.publish("com.marker", {}, {}, to_me_too());
  REQUIRE(marker.wait_for(1));
}

}  // namespace

TEST_CASE_METHOD(testing::wamp_fixture, "subscribe before run; publish reaches the handler with details",
                 "[client][pubsub]") {
  testing::event_recorder got;
  auto& app = client("app", {}, [&](AutobahnSync& a) { a.subscribe("com.app.event", got.handler()); });
  publish_options o;
  o.exclude_me = false;
  o.disclose_me = true;
  CHECK_FALSE(app.session().publish("com.app.event", {"trigger !"}, {{"n", 1}}, o));
  REQUIRE(got.wait_for(1));
  const auto e = got.items()[0];
  CHECK(e.args == w::list{"trigger !"});
  CHECK(e.kwargs.at("n") == 1);
  CHECK(e.details.topic == "com.app.event");
  CHECK(e.details.publisher == app.session().id());
  CHECK(e.details.publication > 0);
  const auto pub = sent_by<w::publish>(*this, "app").at(0);
  CHECK(pub.options.at("exclude_me") == false);
  CHECK(pub.options.at("disclose_me") == true);
}

TEST_CASE_METHOD(testing::wamp_fixture, "publish options: acknowledge, exclude and eligible lists", "[client][pubsub]") {
  auto& s = session("app");
  publish_options o;
  o.acknowledge = true;
  o.exclude = {1, 2};
  o.eligible = {3};
  o.exclude_authid = {"bob"};
  o.eligible_authrole = {"admin"};
  auto publication = s.publish("com.t", {}, {}, o);
  REQUIRE(publication);
  CHECK(*publication > 0);
  const auto pub = sent_by<w::publish>(*this, "app").at(0);
  CHECK(pub.options.at("acknowledge") == true);
  CHECK(pub.options.at("exclude") == w::value::array({1, 2}));
  CHECK(pub.options.at("eligible") == w::value::array({3}));
  CHECK(pub.options.at("exclude_authid") == w::value::array({"bob"}));
  CHECK(pub.options.at("eligible_authrole") == w::value::array({"admin"}));
  auto deny = faults().install(testing::match().type(w::message_type::publish), fault::deny());
  CHECK_THROWS_AS(s.publish("com.t", {}, {}, o), NotAuthorized);
}

TEST_CASE_METHOD(testing::wamp_fixture, "pattern subscriptions report the concrete topic; unsubscribe stops delivery",
                 "[client][pubsub]") {
  auto& s = session("app");
  const auto policy = GENERATE(as<std::string>{}, "wildcard", "prefix");
  CAPTURE(policy);
  const std::string pattern = policy == "wildcard" ? "com..update" : "com.user.";
  testing::event_recorder events;
  subscribe_options so;
  so.match = policy;
  auto sub = s.subscribe(pattern, events.handler(), so);
  CHECK(sent_by<w::subscribe>(*this, "app").at(0).options.at("match") == policy);
  s.publish("com.user.update", {}, {}, to_me_too());
  REQUIRE(events.wait_for(1));
  CHECK(events.items()[0].details.topic == "com.user.update");
  sub.unsubscribe();
  CHECK_FALSE(sub.active());
  CHECK(sent_by<w::unsubscribe>(*this, "app").size() == 1);
  s.publish("com.user.update", {}, {}, to_me_too());
  round_trip_through_handlers(s);
  INFO(events.describe());
  CHECK(events.size() == 1);
}

TEST_CASE_METHOD(testing::wamp_fixture, "events queued behind a busy handler are not delivered once unsubscribe() returned",
                 "[client][pubsub]") {
  auto& s = session("app");
  std::promise<void> started, release;
  auto has_started = started.get_future();
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> calls{0};
  auto sub = s.subscribe("com.news", [&](const w::list&, const w::dict&, const event_details&) {
    if (calls++ == 0) {
      started.set_value();
      released.wait();
    }
  });
  s.publish("com.news", {}, {}, to_me_too());
  has_started.wait();  // the first event's handler holds the callbacks thread
  // Each acknowledged publish returns once its PUBLISHED came, after its EVENT: these four
  // are read and queued behind the busy handler.
  for (int i = 0; i < 4; ++i) s.publish("com.news", {}, {}, to_me_too());
  sub.unsubscribe();
  release.set_value();
  round_trip_through_handlers(s);
  CHECK(calls == 1);
}

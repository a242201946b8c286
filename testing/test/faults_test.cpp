// Fault rules acting on messages between a router and a client, seen through a faulty
// connection wrapped around a scripted connection (no router needed: the test plays both).
#include "testing/faulty_connection.hpp"
#include "testing/test/scripted_connection.hpp"

#include <catch2/catch.hpp>
#include <boost/asio/io_context.hpp>

namespace wamp = autobahn_sync::wamp;
namespace testing = autobahn_sync::testing;
using testing::fault_plan;
using testing::match;
using wamp::message_type;
namespace fault = testing::fault;
using autobahn_sync::testing::test::scripted_connection;

namespace {

// A router stand-in: records what reaches it.
struct router_side {
  std::vector<wamp::message> received;
  std::vector<boost::system::error_code> bad;
  wamp::connection_handler handler() {
    return {[this](wamp::message&& m) { received.push_back(std::move(m)); },
            [this](const boost::system::error_code& ec, const std::string&) { bad.push_back(ec); },
            nullptr};
  }
};

struct fixture {
  boost::asio::io_context io;
  std::shared_ptr<scripted_connection> client = std::make_shared<scripted_connection>(io);
  std::shared_ptr<fault_plan> plan = fault_plan::create();
  std::shared_ptr<testing::message_trace> trace = std::make_shared<testing::message_trace>();
  std::shared_ptr<testing::faulty_connection> conn =
      testing::faulty_connection::wrap(client, "alice", plan, trace);
  router_side router;

  fixture() { conn->start(router.handler()); }

  wamp::call call(wamp::id request, std::string procedure = "com.example.add") {
    return wamp::call{request, {}, std::move(procedure), {1, 2}};
  }
};

}  // namespace

TEST_CASE("without rules every message passes and is traced", "[unit]") {
  fixture f;
  f.client->client_sends(wamp::hello{"realm1", {}});
  REQUIRE_FALSE(f.conn->send(wamp::welcome{7, {}}));
  CHECK(f.router.received.size() == 1);
  CHECK(f.client->to_client.size() == 1);
  CHECK(f.conn->phase() == testing::session_phase::established);
  const auto entries = f.trace->entries();
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].dir == testing::direction::to_router);
  CHECK(entries[1].type() == message_type::welcome);
  CHECK(entries[0].format().find("alice to_router HELLO \"realm1\"") != std::string::npos);
}

TEST_CASE("drop selects by type, direction and the k-th match", "[unit]") {
  fixture f;
  auto rule = f.plan->install(match().type(message_type::call).to_router().nth(2), fault::drop());
  for (wamp::id r = 1; r <= 3; ++r) f.client->client_sends(f.call(r));
  REQUIRE(f.router.received.size() == 2);
  CHECK(std::get<wamp::call>(f.router.received[0]).request == 1);
  CHECK(std::get<wamp::call>(f.router.received[1]).request == 3);
  CHECK(rule.hits() == 1);
  const auto dropped = f.trace->select([](const auto& e) { return e.note == "drop"; });
  REQUIRE(dropped.size() == 1);
  CHECK(testing::request_of(dropped[0].msg) == 2u);
}

TEST_CASE("every k-th, URI and URI prefix selectors", "[unit]") {
  fixture f;
  auto every_second = f.plan->install(match().uri_prefix("com.example.").every(2), fault::drop());
  auto other = f.plan->install(match().uri("org.other.x"), fault::duplicate());
  for (wamp::id r = 1; r <= 4; ++r) f.client->client_sends(f.call(r));
  f.client->client_sends(f.call(5, "org.other.x"));
  REQUIRE(f.router.received.size() == 4);  // 1, 3, and 5 twice
  CHECK(every_second.hits() == 2);
  CHECK(other.hits() == 1);
  CHECK(f.router.received[2] == f.router.received[3]);
}

TEST_CASE("session and phase selectors", "[unit]") {
  fixture f;
  auto not_me = f.plan->install(match().session("bob"), fault::drop()).optional();
  auto joining = f.plan->install(match().phase(testing::session_phase::joining).to_router(), fault::duplicate());
  f.client->client_sends(wamp::hello{"realm1", {}});
  REQUIRE_FALSE(f.conn->send(wamp::welcome{7, {}}));
  f.client->client_sends(f.call(1));
  CHECK(f.router.received.size() == 3);  // HELLO twice (joining), CALL once (established)
  CHECK(not_me.hits() == 0);
  CHECK(joining.hits() == 1);
  CHECK(f.plan->unfired().empty());  // the optional rule does not count
}

TEST_CASE("a predicate selects on the decoded message", "[unit]") {
  fixture f;
  auto rule = f.plan->install(match().where([](const testing::observed_message& m) {
    const auto* c = std::get_if<wamp::call>(&m.msg);
    return c && c->args.size() == 2 && c->args[0] == 1;
  }), fault::drop());
  f.client->client_sends(wamp::call{1, {}, "a.b", {5}});
  f.client->client_sends(f.call(2));
  REQUIRE(f.router.received.size() == 1);
  CHECK(rule.hits() == 1);
}

TEST_CASE("the first installed rule that acts wins", "[unit]") {
  fixture f;
  auto first = f.plan->install(match().type(message_type::call), fault::duplicate());
  auto second = f.plan->install(match().type(message_type::call), fault::drop()).optional();
  f.client->client_sends(f.call(1));
  CHECK(f.router.received.size() == 2);
  CHECK(second.hits() == 0);
  first.remove();
  f.client->client_sends(f.call(2));
  CHECK(f.router.received.size() == 2);  // now the drop rule acts
  CHECK(second.hits() == 1);
}

TEST_CASE("a rule is removed with its handle and an unfired rule is reported", "[unit]") {
  fixture f;
  {
    auto rule = f.plan->install(match().type(message_type::publish), fault::drop(), "drop publishes");
  }
  f.client->client_sends(wamp::publish{1, {}, "t"});
  CHECK(f.router.received.size() == 1);
  CHECK(f.plan->unfired() == std::vector<std::string>{"drop publishes"});
}

TEST_CASE("replace and inject", "[unit]") {
  fixture f;
  auto replace = f.plan->install(match().type(message_type::result).to_client(),
                                 fault::replace([](const wamp::message& m) -> wamp::message {
                                   auto r = std::get<wamp::result>(m);
                                   r.args = {42};
                                   return r;
                                 }));
  auto inject = f.plan->install(match().type(message_type::call),
                                fault::inject_before(wamp::goodbye{{}, "wamp.close.system_shutdown"}));
  REQUIRE_FALSE(f.conn->send(wamp::result{1, {}, {3}}));
  REQUIRE(f.client->to_client.size() == 1);
  CHECK(std::get<wamp::result>(f.client->to_client[0]).args == wamp::list{42});
  f.client->client_sends(f.call(2));
  REQUIRE(f.router.received.size() == 2);
  CHECK(std::holds_alternative<wamp::goodbye>(f.router.received[0]));
  CHECK(std::holds_alternative<wamp::call>(f.router.received[1]));
}

TEST_CASE("answer a request with an ERROR in the router's place", "[unit]") {
  fixture f;
  auto rule = f.plan->install(match().type(message_type::call).uri("com.example.add"),
                              fault::answer_error("com.example.overloaded", {"busy"}));
  f.client->client_sends(f.call(9));
  CHECK(f.router.received.empty());
  REQUIRE(f.client->to_client.size() == 1);
  const auto& e = std::get<wamp::error>(f.client->to_client[0]);
  CHECK(e.request_type == message_type::call);
  CHECK(e.request == 9);
  CHECK(e.error_uri == "com.example.overloaded");
  CHECK(e.args == wamp::list{"busy"});
}

TEST_CASE("hits() counts a message once its trace line is written, and a rule's own answer may ask it", "[unit]") {
  fixture f;
  std::optional<testing::rule_handle> rule;
  std::size_t hits_while_answering = 0;
  rule = f.plan->install(match().type(message_type::call), fault::answer([&](const wamp::message& m) -> wamp::message {
                           // On the deciding thread, before its trace line: no wait for itself.
                           hits_while_answering = rule->hits();
                           return wamp::error{message_type::call, std::get<wamp::call>(m).request, {}, "com.example.busy"};
                         }));
  f.client->client_sends(f.call(9));
  CHECK(hits_while_answering == 1);
  CHECK(rule->hits() == 1);
  CHECK(f.trace->entries().size() == 2);  // the CALL (answered) and the rule's ERROR
}

TEST_CASE("abort a HELLO with a chosen reason", "[unit]") {
  fixture f;
  auto rule = f.plan->install(match().type(message_type::hello), fault::abort_hello("wamp.error.no_such_realm"));
  f.client->client_sends(wamp::hello{"realm1", {}});
  CHECK(f.router.received.empty());
  REQUIRE(f.client->to_client.size() == 1);
  CHECK(std::get<wamp::abort>(f.client->to_client[0]).reason == "wamp.error.no_such_realm");
}

TEST_CASE("hold, then release in order or reversed", "[unit]") {
  fixture f;
  auto hold = f.plan->install(match().type(message_type::event).to_client(), fault::hold());
  for (wamp::id p = 1; p <= 3; ++p) REQUIRE_FALSE(f.conn->send(wamp::event{1, p, {}}));
  CHECK(f.client->to_client.empty());
  CHECK(hold.held() == 3);

  SECTION("in order") {
    hold.release();
    f.io.poll();
    REQUIRE(f.client->to_client.size() == 3);
    CHECK(std::get<wamp::event>(f.client->to_client[0]).publication == 1);
    CHECK(std::get<wamp::event>(f.client->to_client[2]).publication == 3);
  }
  SECTION("reversed") {
    hold.release_reversed();
    f.io.poll();
    REQUIRE(f.client->to_client.size() == 3);
    CHECK(std::get<wamp::event>(f.client->to_client[0]).publication == 3);
  }
  SECTION("removing the rule releases what it held") {
    hold.remove();
    f.io.poll();
    CHECK(f.client->to_client.size() == 3);
  }
  SECTION("released after the connection was closed: traced as lost, not delivered") {
    f.conn->close();
    hold.release();
    f.io.poll();
    CHECK(f.client->to_client.empty());
    CHECK(f.trace->select([](const auto& e) { return e.note == "lost: released after its connection ended"; }).size() == 3);
    CHECK(f.trace->select([](const auto& e) { return e.note == "released"; }).empty());
  }
}

TEST_CASE("corrupt and truncate make the router see undecodable input", "[unit]") {
  fixture f;
  auto corrupt = f.plan->install(match().type(message_type::call).nth(1), fault::corrupt());
  auto truncate = f.plan->install(match().type(message_type::call).nth(2), fault::truncate());
  f.client->client_sends(f.call(1));
  f.client->client_sends(f.call(2));
  CHECK(f.router.received.empty());
  REQUIRE(f.router.bad.size() == 2);
  CHECK(f.router.bad[0] == wamp::errc::malformed);
  CHECK(f.router.bad[1] == wamp::errc::malformed);
}

TEST_CASE("close the transport before or after the message", "[unit]") {
  fixture f;
  SECTION("before: the client never sees the RESULT") {
    auto rule = f.plan->install(match().type(message_type::result), fault::close_before());
    f.conn->send(wamp::result{1, {}});
    CHECK(f.client->to_client.empty());
    CHECK(f.client->closed);
  }
  SECTION("after: the RESULT is delivered, then the transport drops") {
    auto rule = f.plan->install(match().type(message_type::result), fault::close_after());
    f.conn->send(wamp::result{1, {}});
    CHECK(f.client->to_client.size() == 1);
    CHECK(f.client->closed);
  }
}

TEST_CASE("the trace prints readable lines and JSON lines and fingerprints runs", "[unit]") {
  auto run = [] {
    fixture f;
    f.trace->set_clock([] { return std::chrono::milliseconds(5); });
    auto rule = f.plan->install(match().type(message_type::call).nth(1), fault::drop(), "lose first call");
    f.client->client_sends(f.call(1));
    f.client->client_sends(f.call(2));
    return std::make_pair(f.trace->format() + f.trace->to_json_lines(), f.trace->fingerprint());
  };
  const auto [text, hash] = run();
  CHECK(text.find("#1 +5ms alice to_router CALL 1 {} \"com.example.add\" [1,2]  [drop]  (rule: lose first call)") !=
        std::string::npos);
  CHECK(text.find(R"("rule":"lose first call")") != std::string::npos);
  CHECK(run().second == hash);
}

// Transport-level faults: link rules (latency with seeded jitter, bandwidth, slicing into small
// writes, a cut after N bytes), closing with a WebSocket close code, and RawSocket handshake
// refusals. Unit tests drive a faulty connection around a scripted connection on a manual
// clock (exact times, no router); integration tests run a fixture over real sockets on
// 127.0.0.1.
#include "testing/faulty_connection.hpp"
#include "testing/test/scripted_connection.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <thread>

#include <catch2/catch.hpp>
#include <boost/asio/io_context.hpp>

#include "testing/matchers.hpp"
#include "testing/recorder.hpp"
#include "testing/socket_link.hpp"
#include "testing/wamp_fixture.hpp"

namespace wamp = autobahn_sync::wamp;
namespace testing = autobahn_sync::testing;
namespace fault = testing::fault;
using autobahn_sync::testing::test::scripted_connection;
using namespace std::chrono_literals;
using testing::direction;
using testing::match;
using wamp::message_type;

namespace {

struct router_side {
  std::vector<wamp::message> received;
  std::vector<boost::system::error_code> bad;
  bool closed = false;
  wamp::connection_handler handler() {
    return {[this](wamp::message&& m) { received.push_back(std::move(m)); },
            [this](const boost::system::error_code& ec, const std::string&) { bad.push_back(ec); },
            [this](const boost::system::error_code&) { closed = true; }};
  }
};

// A faulty connection on a manual clock; the trace's times are the clock's.
struct link_fixture {
  boost::asio::io_context io;
  std::shared_ptr<wamp::manual_clock> clock = std::make_shared<wamp::manual_clock>();
  std::shared_ptr<scripted_connection> client = std::make_shared<scripted_connection>(io);
  std::shared_ptr<testing::fault_plan> plan = testing::fault_plan::create();
  std::shared_ptr<testing::message_trace> trace = std::make_shared<testing::message_trace>();
  std::vector<std::string> raw_to_client;
  std::shared_ptr<testing::faulty_connection> conn = testing::faulty_connection::wrap(
      client, "alice", plan, trace, [this](std::string bytes) { raw_to_client.push_back(std::move(bytes)); });
  router_side router;

  link_fixture() {
    trace->set_clock([clock = clock, start = clock->now()] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(clock->now() - start);
    });
    conn->use_clock(clock);
    conn->start(router.handler());
  }

  // Moves the clock and runs what became due.
  void advance(std::chrono::milliseconds d) {
    clock->advance(d);
    io.restart();
    io.poll();
  }

  std::vector<std::int64_t> times_of(message_type type) const {
    std::vector<std::int64_t> out;
    for (const auto& e : trace->of_type(type)) out.push_back(e.time.count());
    return out;
  }
};

wamp::message publish(wamp::id request, std::string payload = "x") {
  return wamp::publish{request, {}, "com.example.topic", {std::move(payload)}};
}

std::size_t encoded_size(const wamp::message& msg) {
  std::string out;
  REQUIRE_FALSE(wamp::json_serializer().encode(msg, out));
  return out.size();
}

std::vector<wamp::id> request_ids(const std::vector<wamp::message>& messages) {
  std::vector<wamp::id> out;
  for (const auto& m : messages) out.push_back(std::get<wamp::publish>(m).request);
  return out;
}

}  // namespace

TEST_CASE("latency delivers on the virtual clock, in order, and the trace shows when", "[unit][link]") {
  link_fixture f;
  auto rule = f.plan->install(match().to_router(), fault::latency(100ms));
  f.client->client_sends(publish(1));
  f.advance(40ms);
  f.client->client_sends(publish(2));
  CHECK(f.router.received.empty());
  f.advance(59ms);
  CHECK(f.router.received.empty());
  f.advance(1ms);
  CHECK(request_ids(f.router.received) == std::vector<wamp::id>{1});
  f.advance(40ms);
  CHECK(request_ids(f.router.received) == std::vector<wamp::id>{1, 2});
  CHECK(f.times_of(message_type::publish) == std::vector<std::int64_t>{100, 140});
  CHECK(f.trace->entries()[0].note == "latency 100ms");
  CHECK(rule.hits() == 2);
}

TEST_CASE("latency with jitter keeps each direction in order", "[unit][link]") {
  link_fixture f;
  auto rule = f.plan->install(match().to_router(), fault::latency(100ms, 90ms, 42));
  for (wamp::id i = 1; i <= 30; ++i) {
    f.client->client_sends(publish(i));
    f.advance(1ms);
  }
  f.advance(300ms);
  std::vector<wamp::id> sent(30);
  for (wamp::id i = 1; i <= 30; ++i) sent[i - 1] = i;
  CHECK(request_ids(f.router.received) == sent);
  const auto times = f.times_of(message_type::publish);
  CHECK(std::is_sorted(times.begin(), times.end()));
  // The jitter was drawn: the times are not those of a fixed 100 ms delay.
  std::vector<std::int64_t> without_jitter;
  for (std::int64_t i = 0; i < 30; ++i) without_jitter.push_back(i + 100);
  CHECK(times != without_jitter);
}

TEST_CASE("latency jitter from one seed repeats exactly; another seed differs", "[unit][link]") {
  const auto delays = [](std::uint64_t seed) {
    link_fixture f;
    auto rule = f.plan->install(match().to_client(), fault::latency(50ms, 40ms, seed));
    for (wamp::id i = 1; i <= 20; ++i) {
      f.conn->send(publish(i));
      f.advance(100ms);  // each is delivered before the next is sent: its own delay shows
    }
    std::vector<std::int64_t> out;
    const auto times = f.times_of(message_type::publish);
    for (std::size_t i = 0; i < times.size(); ++i) out.push_back(times[i] - static_cast<std::int64_t>(i) * 100);
    return out;
  };
  const auto first = delays(7);
  REQUIRE(first.size() == 20);
  CHECK(delays(7) == first);
  CHECK(delays(8) != first);
  for (auto d : first) {
    CHECK(d >= 10);
    CHECK(d <= 90);
  }
}

TEST_CASE("bandwidth delays each message by its size and queues it behind the earlier ones", "[unit][link]") {
  link_fixture f;
  auto rule = f.plan->install(match().to_client(), fault::bandwidth(1000));  // 1 byte per ms
  const auto m1 = publish(1, "short");
  const auto m2 = publish(2, std::string(200, 'b'));
  const auto m3 = publish(3, "short again");
  for (const auto& m : {m1, m2, m3}) REQUIRE_FALSE(f.conn->send(m));
  const auto s1 = static_cast<std::int64_t>(encoded_size(m1));
  const auto s2 = static_cast<std::int64_t>(encoded_size(m2));
  const auto s3 = static_cast<std::int64_t>(encoded_size(m3));
  f.advance(std::chrono::milliseconds(s1 - 1));
  CHECK(f.client->to_client.empty());
  f.advance(1ms);
  CHECK(f.client->to_client.size() == 1);
  f.advance(std::chrono::milliseconds(s2 + s3));
  CHECK(request_ids(f.client->to_client) == std::vector<wamp::id>{1, 2, 3});
  CHECK(f.times_of(message_type::publish) == std::vector<std::int64_t>{s1, s1 + s2, s1 + s2 + s3});
}

TEST_CASE("a dropped message takes no time on a bandwidth-limited link", "[unit][link]") {
  link_fixture f;
  auto rule = f.plan->install(match().to_client(), fault::bandwidth(1000));  // 1 byte per ms
  auto dropped = f.plan->install(match().to_client().nth(1), fault::drop());
  const auto m1 = publish(1, std::string(500, 'd'));
  const auto m2 = publish(2, "short");
  REQUIRE_FALSE(f.conn->send(m1));
  REQUIRE_FALSE(f.conn->send(m2));
  f.advance(std::chrono::milliseconds(encoded_size(m2)));
  CHECK(request_ids(f.client->to_client) == std::vector<wamp::id>{2});
}

TEST_CASE("latency runs on real time without a virtual clock", "[integration][link]") {
  boost::asio::io_context io;
  auto client = std::make_shared<scripted_connection>(io);
  auto plan = testing::fault_plan::create();
  auto conn = testing::faulty_connection::wrap(client, "alice", plan, nullptr);
  router_side router;
  conn->start(router.handler());
  auto rule = plan->install(match().to_router(), fault::latency(20ms));
  const auto sent = std::chrono::steady_clock::now();
  client->client_sends(publish(1));
  client->client_sends(publish(2));
  io.poll();
  CHECK(router.received.empty());
  CHECK(conn->delayed() == 2);
  io.run_for(5s);  // returns once the timer ran out of work (the queue is empty)
  CHECK(std::chrono::steady_clock::now() - sent >= 20ms);
  CHECK(request_ids(router.received) == std::vector<wamp::id>{1, 2});
}

TEST_CASE("close_after_bytes cuts the message that crosses the limit, then drops the transport", "[unit][link]") {
  link_fixture f;
  const auto m1 = publish(1, "first");
  const auto m2 = publish(2, "second");
  const auto m3 = publish(3, "third, the one cut");
  const auto limit = encoded_size(m1) + encoded_size(m2) + 5;
  SECTION("to the router") {
    auto rule = f.plan->install(match().to_router(), fault::close_after_bytes(limit));
    for (const auto& m : {m1, m2, m3}) f.client->client_sends(m);
    CHECK(request_ids(f.router.received) == std::vector<wamp::id>{1, 2});
    REQUIRE(f.router.bad.size() == 1);  // the first 5 bytes of the 3rd: undecodable
    CHECK(f.client->abruptly);
    CHECK_THAT(f.trace->entries().back().note, Catch::Contains("5 of"));
  }
  SECTION("to the client") {
    auto rule = f.plan->install(match().to_client(), fault::close_after_bytes(limit));
    for (const auto& m : {m1, m2, m3}) f.conn->send(m);
    CHECK(request_ids(f.client->to_client) == std::vector<wamp::id>{1, 2});
    std::string encoded3;
    REQUIRE_FALSE(wamp::json_serializer().encode(m3, encoded3));
    CHECK(f.raw_to_client == std::vector<std::string>{encoded3.substr(0, 5)});
    CHECK(f.client->abruptly);
  }
}

TEST_CASE("close_after_bytes at a message's boundary delivers it whole or not at all", "[unit][link]") {
  link_fixture f;
  const auto m1 = publish(1, "first");
  SECTION("a message ending exactly at the limit arrives, then the transport ends") {
    auto rule = f.plan->install(match().to_client(), fault::close_after_bytes(encoded_size(m1)));
    f.conn->send(m1);
    CHECK(f.client->to_client.size() == 1);
    CHECK(f.client->closed);
  }
  SECTION("with no byte left, nothing of it arrives") {
    auto rule = f.plan->install(match().to_client(), fault::close_after_bytes(0));
    f.conn->send(m1);
    CHECK(f.client->to_client.empty());
    CHECK(f.client->abruptly);
  }
  CHECK(f.raw_to_client.empty());
}

TEST_CASE("delayed messages are never lost silently at close", "[unit][link]") {
  link_fixture f;
  auto out = f.plan->install(match().to_client(), fault::latency(1h));
  auto in = f.plan->install(match().to_router(), fault::latency(1h));
  SECTION("close() sends the delayed outgoing messages first; incoming ones are traced") {
    f.conn->send(publish(1));
    f.client->client_sends(publish(2));
    f.conn->close();
    CHECK(request_ids(f.client->to_client) == std::vector<wamp::id>{1});
    CHECK(f.client->closed);
    const auto lost = f.trace->select([](const auto& e) { return e.note.find("not delivered") == 0; });
    REQUIRE(lost.size() == 1);
    CHECK(std::get<wamp::publish>(lost[0].msg).request == 2);
  }
  SECTION("the end of the transport delivers what arrived before it") {
    f.client->client_sends(publish(3));
    f.client->transport_ends();
    CHECK(request_ids(f.router.received) == std::vector<wamp::id>{3});
    CHECK(f.router.closed);
  }
}

TEST_CASE("a message held past the end of its connection is traced as lost when released", "[unit]") {
  auto f = std::make_unique<link_fixture>();
  auto trace = f->trace;
  auto hold = f->plan->install(match().to_client(), fault::hold());
  f->conn->send(publish(1));
  REQUIRE(hold.held() == 1);
  f.reset();  // the connection (and its io_context) are gone
  hold.release();
  const auto lost = trace->select([](const auto& e) { return e.note == "lost: released after its connection ended"; });
  CHECK(lost.size() == 1);
}

TEST_CASE("a released message does not overtake one a link rule still delays", "[unit][link]") {
  link_fixture f;
  auto slow = f.plan->install(match().to_router().nth(1), fault::latency(100ms));
  auto hold = f.plan->install(match().to_router().nth(2), fault::hold());
  f.client->client_sends(publish(1));
  f.client->client_sends(publish(2));
  f.advance(10ms);
  hold.release();
  f.advance(0ms);
  CHECK(f.router.received.empty());  // 2 waits behind 1, which is still on the link
  f.advance(90ms);
  CHECK(request_ids(f.router.received) == std::vector<wamp::id>{1, 2});
  CHECK(f.times_of(message_type::publish).back() == 100);
}

TEST_CASE("link rules shape delivery on top of the rule that decides a message's fate", "[unit][link]") {
  link_fixture f;
  auto slow = f.plan->install(match().to_router(), fault::latency(10ms));
  auto twice = f.plan->install(match().to_router().nth(2), fault::duplicate());
  for (wamp::id i = 1; i <= 3; ++i) f.client->client_sends(publish(i));
  CHECK(f.router.received.empty());
  f.advance(10ms);
  CHECK(request_ids(f.router.received) == std::vector<wamp::id>{1, 2, 2, 3});
  CHECK(slow.hits() == 3);
  CHECK(twice.hits() == 1);
}

TEST_CASE("slice is a no-op in-process, said in the trace", "[unit][link]") {
  link_fixture f;
  auto rule = f.plan->install(match(), fault::slice(2));
  f.conn->send(publish(1));
  CHECK(f.client->to_client.size() == 1);
  CHECK_THAT(f.trace->entries().back().note, Catch::Contains("slice skipped"));
}

TEST_CASE("a plan decides slice rules and the others apart, each rule counting a message once", "[unit][link]") {
  auto plan = testing::fault_plan::create();
  auto sliced = plan->install(match().to_client(), fault::slice(4));
  auto slow = plan->install(match().to_client(), fault::latency(5ms));
  auto dropped = plan->install(match().to_client().nth(1), fault::drop());
  const std::string alice = "alice";
  const wamp::message msg = publish(1);
  const testing::observed_message m{direction::to_client, alice, testing::session_phase::established, msg};
  using rules = testing::fault_plan::rule_set;
  // The writer's end: only the slice rule sees the message.
  const auto at_writer = plan->decide(m, {}, rules::slice_only);
  REQUIRE(at_writer.link.size() == 1);
  CHECK(at_writer.link[0].what == testing::action::kind::slice);
  CHECK(at_writer.rule.empty());
  // The reader's end: every other rule, the first acting one wins as ever.
  const auto at_reader = plan->decide(m, [] { return testing::fault_plan::release_fn(); }, rules::all_but_slice);
  REQUIRE(at_reader.link.size() == 1);
  CHECK(at_reader.link[0].what == testing::action::kind::latency);
  CHECK(at_reader.action == "drop");
  CHECK(sliced.hits() == 1);
  CHECK(slow.hits() == 1);
  CHECK(dropped.hits() == 1);
}

TEST_CASE("a socket link hands the router end's slicing to the client's end in the order written", "[unit][link]") {
  testing::socket_links links;
  auto link = links.open("alice");
  CHECK(links.find(link->id()) == link);
  CHECK(links.find(link->id() + 1) == nullptr);
  testing::link_effect slice{testing::action::kind::slice};
  slice.bytes = 4;
  link->wrote(message_type::publish, {slice}, 3);
  link->wrote(message_type::event, {}, 0);
  link->wrote(message_type::result, {slice}, 5);
  link->not_written();  // the RESULT could not be sent: its pieces do not count
  const auto first = link->arrived(publish(1));
  REQUIRE(first);
  CHECK(first->size() == 1);
  // A message the router's end did not announce (another type) is left to the client's end.
  CHECK_FALSE(link->arrived(publish(2)));
  const auto second = link->arrived(wamp::event{1, 2, {}, {}, {}});
  REQUIRE(second);
  CHECK(second->empty());
  CHECK_FALSE(link->arrived(wamp::event{1, 3, {}, {}, {}}));
  CHECK(links.pieces_written_to("alice") == 3);
  CHECK(links.pieces_written_to("bob") == 0);
}

TEST_CASE("close_websocket closes with the code; the _after form delivers first", "[unit]") {
  link_fixture f;
  const bool after = GENERATE(false, true);
  auto rule = f.plan->install(match().to_client(), after ? fault::close_websocket_after(4001, "bye")
                                                         : fault::close_websocket(4001, "bye"));
  f.conn->send(publish(1));
  CHECK(f.client->close_code == 4001);
  CHECK(f.client->to_client.size() == (after ? 1u : 0u));
}

TEST_CASE("handshake rules answer RawSocket handshakes; nth picks one", "[unit]") {
  auto plan = testing::fault_plan::create();
  CHECK(plan->rawsocket_handshake_refusal() == 0);
  auto rule = plan->install(match().nth(2), fault::refuse_rawsocket_handshake(4));
  CHECK(plan->rawsocket_handshake_refusal() == 0);
  CHECK(plan->rawsocket_handshake_refusal() == 4);
  CHECK(plan->rawsocket_handshake_refusal() == 0);
  CHECK(rule.hits() == 1);
  CHECK_THROWS_AS(fault::refuse_rawsocket_handshake(5), std::invalid_argument);
  CHECK_THROWS_AS(fault::slice(0), std::invalid_argument);
  CHECK_THROWS_AS(fault::bandwidth(0), std::invalid_argument);
}

// ---- over real sockets, through a fixture ------------------------------------------------

namespace {

autobahn_sync::call_result echo(const wamp::list& args, const wamp::dict&, const autobahn_sync::invocation_details&) {
  return autobahn_sync::call_result{args};
}

testing::fixture_options on(testing::fixture_transport t) {
  testing::fixture_options o;
  o.transport = t;
  return o;
}

}  // namespace

TEST_CASE("slicing over RawSocket and WebSocket delivers messages intact", "[integration][link]") {
  const auto transport = GENERATE(testing::fixture_transport::rawsocket, testing::fixture_transport::websocket);
  testing::wamp_fixture f(on(transport));
  f.session("callee").register_procedure("com.example.echo", echo);
  auto sliced = f.faults().install(match().to_router().session("caller"), fault::slice(3));
  const std::string text(300, 's');
  CHECK(f.session("caller").call("com.example.echo", {text, 42}).args == wamp::list{text, 42});
  const auto calls = f.trace().of_type(message_type::call, direction::to_router, "caller");
  REQUIRE(calls.size() == 1);
  CHECK_THAT(calls[0].note, Catch::Contains("sliced into 1"));  // 100+ pieces of <= 3 bytes
  CHECK_THAT(calls[0].note, Catch::Contains("pieces of <= 3 bytes"));
}

TEST_CASE("slicing messages to the client: the router's end writes them in pieces, the client gets them intact",
          "[integration][link]") {
  const auto transport = GENERATE(testing::fixture_transport::rawsocket, testing::fixture_transport::websocket);
  testing::wamp_fixture f(on(transport));
  f.session("callee").register_procedure("com.example.echo", echo);
  auto& caller = f.session("caller");
  auto sliced = f.faults().install(match().type(message_type::result).session("caller"), fault::slice(16));
  const std::string text(300, 's');
  CHECK(caller.call("com.example.echo", {text, 42}).args == wamp::list{text, 42});
  CHECK(sliced.hits() == 1);
  const auto results = f.trace().of_type(message_type::result, direction::to_client, "caller");
  REQUIRE(results.size() == 1);
  CHECK(results[0].rule == "slice 16B RESULT session=caller");
  CHECK_THAT(results[0].note, Catch::Contains("pieces of <= 16 bytes") && !Catch::Contains("skipped"));
  // The RESULT's 300+ bytes went out as that many writes (RawSocket) or frames (WebSocket).
  CHECK(f.pieces_written_to("caller") >= 300 / 16);
  CHECK(f.pieces_written_to("callee") == 0);  // the INVOCATION was not selected: written whole
}

TEST_CASE("a message to the client sliced at the router's end meets every rule once", "[integration][link]") {
  const auto transport = GENERATE(testing::fixture_transport::rawsocket, testing::fixture_transport::websocket);
  testing::wamp_fixture f(on(transport));
  testing::event_recorder events;
  f.session("reader").subscribe("com.example.topic", events.handler());
  auto sliced = f.faults().install(match().to_client().session("reader"), fault::slice(8), "slice to reader");
  auto twice = f.faults().install(match().type(message_type::event).session("reader"), fault::duplicate(), "twice");
  const std::string payload(100, 'e');
  autobahn_sync::publish_options acknowledged;
  acknowledged.acknowledge = true;
  f.session("writer").publish("com.example.topic", {payload}, {}, acknowledged);
  REQUIRE(events.wait_for(2));
  CHECK(events.items().at(1).args == wamp::list{payload});
  CHECK(sliced.hits() == 1);  // the EVENT, decided at the router's end only
  CHECK(twice.hits() == 1);   // and duplicated at the client's end, once
  const auto lines = f.trace().of_type(message_type::event, direction::to_client, "reader");
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].rule == "twice; slice to reader");
  CHECK(lines[0].note == "duplicate");
  CHECK(f.pieces_written_to("reader") >= 100 / 8);
}

TEST_CASE("close_websocket: the client's TransportLost names the close code", "[integration]") {
  testing::wamp_fixture f(on(testing::fixture_transport::websocket));
  f.check_leaks(false);  // the session is lost on purpose
  f.session("callee").register_procedure("com.example.echo", echo);
  auto closing = f.faults().install(match().type(message_type::call).session("caller"),
                                    fault::close_websocket(4001, "closed by a test"));
  CHECK_THROWS_MATCHES(f.session("caller").call("com.example.echo", {1}), autobahn_sync::TransportLost,
                       Catch::Matchers::Predicate<autobahn_sync::TransportLost>(
                           [](const auto& e) { return std::string(e.what()).find("close code 4001") != std::string::npos; },
                           "names WebSocket close code 4001"));
}

TEST_CASE("close_websocket on other transports is an orderly close", "[integration]") {
  const auto transport = GENERATE(testing::fixture_transport::inprocess, testing::fixture_transport::rawsocket);
  testing::wamp_fixture f(on(transport));
  f.check_leaks(false);
  f.session("callee").register_procedure("com.example.echo", echo);
  auto closing = f.faults().install(match().type(message_type::call).session("caller"),
                                    fault::close_websocket(4001, "closed by a test"));
  CHECK_THROWS_AS(f.session("caller").call("com.example.echo", {1}), autobahn_sync::TransportLost);
  const auto calls = f.trace().of_type(message_type::call, direction::to_router, "caller");
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].note == "close_websocket 4001");
}

TEST_CASE("each RawSocket handshake error reaches the client as its ConnectionRefusedError", "[integration]") {
  const int code = GENERATE(1, 2, 3, 4);
  const char* expected[] = {"", "serializer unsupported by peer", "maximum message length unacceptable",
                            "use of reserved bits", "maximum connection count reached"};
  testing::wamp_fixture f(on(testing::fixture_transport::rawsocket));
  auto refuse = f.faults().install(match().nth(1), fault::refuse_rawsocket_handshake(code));
  CHECK_THROWS_MATCHES(f.client("alice"), autobahn_sync::ConnectionRefusedError,
                       Catch::Matchers::Predicate<autobahn_sync::ConnectionRefusedError>(
                           [&](const auto& e) { return std::string(e.what()).find(expected[code]) != std::string::npos; },
                           std::string("says: ") + expected[code]));
  CHECK(refuse.hits() == 1);
  f.session("bob");  // the 2nd handshake is accepted
}

TEST_CASE("close_after_bytes over each transport cuts the publication that crosses the limit", "[integration][link]") {
  const auto transport = GENERATE(testing::fixture_transport::inprocess, testing::fixture_transport::rawsocket,
                                  testing::fixture_transport::websocket);
  testing::wamp_fixture f(on(transport));
  f.check_leaks(false);
  const std::string payload(100, 'p');
  // Each PUBLISH is ~140 bytes (its request id varies by a few digits): the 3rd crosses 350.
  auto cut = f.faults().install(match().type(message_type::publish).session("publisher"), fault::close_after_bytes(350));
  autobahn_sync::publish_options acknowledged;
  acknowledged.acknowledge = true;
  auto& publisher = f.session("publisher");
  publisher.publish("com.example.topic", {payload}, {}, acknowledged);
  publisher.publish("com.example.topic", {payload}, {}, acknowledged);
  CHECK_THROWS_AS(publisher.publish("com.example.topic", {payload}, {}, acknowledged), autobahn_sync::Error);
  CHECK(f.trace().of_type(message_type::published).size() == 2);
  const auto publishes = f.trace().of_type(message_type::publish);
  REQUIRE(publishes.size() == 3);
  CHECK_THAT(publishes[2].note, Catch::Contains("cut after 350 bytes"));
}

TEST_CASE("latency through a fixture on virtual time: events arrive in order when the clock passes",
          "[integration][link]") {
  testing::fixture_options options;
  options.virtual_time = true;
  testing::wamp_fixture f(options);
  testing::event_recorder events;
  f.session("reader").subscribe("com.example.topic", events.handler());
  auto slow = f.faults().install(match().type(message_type::event).session("reader"), fault::latency(250ms));
  autobahn_sync::publish_options acknowledged;
  acknowledged.acknowledge = true;
  for (int i = 1; i <= 3; ++i) f.session("writer").publish("com.example.topic", {i}, {}, acknowledged);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (slow.hits() < 3 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  REQUIRE(slow.hits() == 3);
  f.advance(249ms);
  // A marker traced after the clock reached 249 ms: the events must come after it.
  f.session("writer").publish("com.example.marker", {}, {}, acknowledged);
  f.advance(1ms);
  REQUIRE(events.wait_for(3));
  std::vector<wamp::value> order;
  for (const auto& e : events.items()) order.push_back(e.args.at(0));
  CHECK(order == std::vector<wamp::value>{1, 2, 3});
  const auto marker = f.trace().select([](const testing::trace_entry& e) {
    return e.type() == message_type::publish && testing::uri_of(e.msg) == std::optional<std::string_view>("com.example.marker");
  });
  REQUIRE(marker.size() == 1);
  for (const auto& e : f.trace().of_type(message_type::event, direction::to_client, "reader")) {
    CHECK(e.time == 250ms);
    CHECK(e.sequence > marker[0].sequence);
  }
}

// Remote procedure calls through the fixture's router: results and the mapping of errors onto
// exceptions, registrations and their options, handler exceptions, progressive results,
// timeouts and cancellation, payloads that cannot be encoded.
#include "client/autobahn_sync.hpp"

#include <atomic>
#include <future>
#include <optional>
#include <stdexcept>
#include <thread>

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

call_result nothing(const w::list&, const w::dict&, const invocation_details&) { return call_result{}; }

// Waits in a handler until the call is canceled; returns whether it was (the deadline is a
// hang guard only: the cancel normally ends the wait at once).
bool wait_until_canceled(const invocation_details& d) {
  return testing::eventually([&] { return d.canceled(); });
}

}  // namespace

TEST_CASE_METHOD(testing::wamp_fixture, "call returns the result; errors map onto exceptions", "[client][rpc]") {
  session("callee").register_procedure("com.add", [](const w::list& a, const w::dict& k, const invocation_details&) {
    return call_result{{a.at(0).get<int>() + a.at(1).get<int>()}, {{"echo", k}}};
  });
  session("callee").register_procedure("com.other", [](auto&, auto&, auto&) -> call_result {
    throw ApplicationError("com.app.failed", {"no", 2}, {{"why", "because"}});
  });
  session("callee").register_procedure("com.secret", nothing);
  auto deny = faults().install(testing::match().type(w::message_type::call).uri("com.secret"), fault::deny());
  auto& s = session("caller");
  auto r = s.call("com.add", {2, 3}, {{"x", 1}});
  CHECK(r.value() == 5);
  CHECK(r.kwargs.at("echo").at("x") == 1);
  CHECK_THROWS_AS(s.call("com.secret"), NotAuthorized);
  CHECK_THROWS_AS(s.call("com bad"), InvalidUri);
  try {
    s.call("com.other");
    FAIL("no throw");
  } catch (const ApplicationError& e) {
    CHECK(e.error() == "com.app.failed");
    CHECK(e.args() == w::list{"no", 2});
    CHECK(e.kwargs().at("why") == "because");
    CHECK(e.error_message() == "com.app.failed: no 2");
  }
}

TEST_CASE_METHOD(testing::wamp_fixture, "the router's errors map onto exceptions", "[client][rpc]") {
  auto& s = session("app");
  CHECK_THROWS_MATCHES(s.call("com.nobody.home"), ApplicationError,
                       testing::has_error_uri("wamp.error.no_such_procedure"));
  CHECK_THROWS_AS(s.call("com.bad uri"), InvalidUri);
  CHECK_THROWS_AS(s.register_procedure("wamp.reserved", nothing), ApplicationError);
}

TEST_CASE_METHOD(testing::wamp_fixture, "a procedure registered twice is refused", "[client][rpc]") {
  session("a").register_procedure("com.app.once", nothing);
  CHECK_THROWS_MATCHES(session("b").register_procedure("com.app.once", nothing), ApplicationError,
                       testing::has_error_uri("wamp.error.procedure_already_exists"));
}

TEST_CASE_METHOD(testing::wamp_fixture, "register before and after run; handlers get args, kwargs, details",
                 "[client][rpc]") {
  auto& app = client("app", {}, [](AutobahnSync& a) { a.register_procedure("com.echo", echo); });
  app.register_procedure("com.who", [](const w::list&, const w::dict&, const invocation_details& d) {
    return call_result{{d.caller ? static_cast<std::int64_t>(*d.caller) : -1}};
  });
  auto& s = app.session();
  auto r = s.call("com.echo", {"a", 1}, {{"k", true}});
  CHECK(r.args == w::list{"a", 1});
  CHECK(r.kwargs.at("k") == true);
  call_options disclose;
  disclose.disclose_me = true;
  CHECK(s.call("com.who", {}, {}, disclose).value() == s.id());
  CHECK(s.call("com.who").value() == -1);
  // The deferred registration went out before run() returned, in order.
  const auto regs = sent_by<w::register_>(*this, "app");
  REQUIRE(regs.size() == 2);
  CHECK(regs[0].procedure == "com.echo");
}

TEST_CASE_METHOD(testing::wamp_fixture, "register options: match, invoke; pattern details carry the procedure",
                 "[client][rpc]") {
  auto& s = session("app");
  register_options o;
  o.match = "prefix";
  o.invoke = "roundrobin";
  auto reg = s.register_procedure(
      "com.math.", [](const w::list&, const w::dict&, const invocation_details& d) { return call_result{{d.procedure}}; },
      o);
  const auto sent = sent_by<w::register_>(*this, "app").at(0);
  CHECK(sent.options.at("match") == "prefix");
  CHECK(sent.options.at("invoke") == "roundrobin");
  CHECK(s.call("com.math.square").value() == "com.math.square");
  CHECK(reg.active());
  reg.unregister();
  CHECK_FALSE(reg.active());
  CHECK(sent_by<w::unregister>(*this, "app").size() == 1);
  CHECK_THROWS_MATCHES(s.call("com.math.square"), ApplicationError,
                       testing::has_error_uri("wamp.error.no_such_procedure"));
}

TEST_CASE_METHOD(testing::wamp_fixture, "a handler's exceptions answer the caller with ERROR", "[client][rpc]") {
  auto& app = client("app", {}, [](AutobahnSync& a) {
    a.register_procedure("com.app_error", [](auto&, auto&, auto&) -> call_result {
      throw ApplicationError("com.app.out_of_stock", {"apples"}, {{"left", 0}});
    });
    a.register_procedure("com.crash", [](auto&, auto&, auto&) -> call_result { throw std::runtime_error("boom"); });
  });
  try {
    app.session().call("com.app_error");
    FAIL("no throw");
  } catch (const ApplicationError& e) {
    CHECK(e.error() == "com.app.out_of_stock");
    CHECK(e.args() == w::list{"apples"});
    CHECK(e.kwargs().at("left") == 0);
  }
  try {
    app.session().call("com.crash");
    FAIL("no throw");
  } catch (const ApplicationError& e) {
    CHECK(e.error() == "wamp.error.runtime_error");
    CHECK(e.args() == w::list{"boom"});
  }
}

TEST_CASE("progressive results reach on_progress before the final result", "[client][rpc]") {
  testing::wamp_fixture f(testing::fixture_options{
      .serializer = GENERATE(&w::json_serializer(), &w::msgpack_serializer())});
  auto& s = f.session("app");
  s.register_procedure("com.count", [](const w::list& a, const w::dict&, const invocation_details& d) {
    if (!d.receive_progress) throw ApplicationError("test.no_receive_progress");
    for (int i = 1; i <= a.at(0).get<int>(); ++i) d.progress({i}, {});
    return call_result{{"done"}};
  });
  std::vector<w::value> progress;
  std::thread::id progress_thread;
  call_options o;
  o.on_progress = [&](const call_result& r) {
    progress.push_back(r.value());
    progress_thread = std::this_thread::get_id();
  };
  CHECK(s.call("com.count", {3}, {}, o).value() == "done");
  CHECK(progress == std::vector<w::value>{1, 2, 3});
  CHECK(progress_thread == std::this_thread::get_id());
  CHECK(test::sent_by<w::call>(f, "app").at(0).options.at("receive_progress") == true);
}

TEST_CASE_METHOD(testing::wamp_fixture, "a handler's progressive call of its own session", "[client][rpc]") {
  auto& app = client("app");
  app.register_procedure("com.app.count", [](const w::list& a, const w::dict&, const invocation_details& d) {
    for (int i = 0; i < a.at(0).get<int>(); ++i) d.progress({i}, {});
    return call_result{{"done"}};
  });
  app.register_procedure("com.app.outer", [&](const w::list&, const w::dict&, const invocation_details&) {
    // A handler calling a procedure of its own session, through the router.
    std::vector<int> seen;
    call_options o;
    o.on_progress = [&](const call_result& r) { seen.push_back(r.value().get<int>()); };
    auto final = app.session().call("com.app.count", {3}, {}, o);
    return call_result{{static_cast<int>(seen.size()), final.value()}};
  });
  CHECK(app.session().call("com.app.outer").args == w::list{3, "done"});
}

TEST_CASE_METHOD(testing::wamp_fixture, "a call times out, is canceled at the router, and throws", "[client][rpc]") {
  // The router never sees the CALL, so nothing answers it.
  auto lost = faults().install(testing::match().type(w::message_type::call).uri("com.slow"), fault::drop());
  call_options o;
  o.timeout = 50ms;
  CHECK_THROWS_MATCHES(session("app").call("com.slow", {}, {}, o), ApplicationError,
                       testing::has_error_uri("wamp.error.timeout"));
  REQUIRE(testing::eventually([&] { return !sent_by<w::cancel>(*this, "app").empty(); }));
  const auto cancel = sent_by<w::cancel>(*this, "app").at(0);
  CHECK(cancel.request == sent_by<w::call>(*this, "app").at(0).request);
  CHECK(cancel.options.at("mode") == "killnowait");
}

TEST_CASE("the client-wide call timeout applies by default", "[client][rpc]") {
  testing::fixture_options options;
  options.client.call_timeout = 50ms;
  testing::wamp_fixture f(options);
  auto lost = f.faults().install(testing::match().type(w::message_type::call).uri("com.slow"), fault::drop());
  CHECK_THROWS_MATCHES(f.session("app").call("com.slow"), ApplicationError,
                       testing::has_error_uri("wamp.error.timeout"));
}

TEST_CASE_METHOD(testing::wamp_fixture, "a canceller cancels a waiting call; the callee sees canceled()",
                 "[client][rpc]") {
  // Caller and callee are one session here, two in the next test.
  auto& app = client("app");
  testing::recorder<bool> started;
  std::atomic<bool> saw_canceled{false};
  app.register_procedure("com.long", [&](const w::list&, const w::dict&, const invocation_details& d) {
    started.add(true);
    saw_canceled = wait_until_canceled(d);
    return call_result{};
  });
  auto canceller = std::make_shared<call_canceller>();
  std::thread t([&] {
    if (started.wait_for(1)) canceller->cancel("kill");
  });
  call_options o;
  o.canceller = canceller;
  CHECK_THROWS_MATCHES(app.session().call("com.long", {}, {}, o), ApplicationError,
                       testing::has_error_uri("wamp.error.canceled"));
  t.join();
  CHECK(sent_by<w::cancel>(*this, "app").at(0).options.at("mode") == "kill");
  // The callee answered the INTERRUPT with ERROR canceled.
  REQUIRE(testing::eventually([&] {
    for (const auto& e : sent_by<w::error>(*this, "app"))
      if (e.request_type == w::message_type::invocation) return true;
    return false;
  }));
  app.stop();  // the handler returned before its client stopped
  CHECK(saw_canceled);
}

TEST_CASE_METHOD(testing::wamp_fixture, "cancel through the router interrupts the callee", "[client][rpc]") {
  testing::recorder<bool> started;
  std::atomic<bool> saw_cancel{false};
  session("callee").register_procedure("com.app.long", [&](const w::list&, const w::dict&, const invocation_details& d) {
    started.add(true);
    saw_cancel = wait_until_canceled(d);
    return call_result{};
  });
  auto canceller = std::make_shared<call_canceller>();
  std::thread t([&] {
    if (started.wait_for(1)) canceller->cancel("kill");
  });
  call_options o;
  o.canceller = canceller;
  CHECK_THROWS_MATCHES(session("caller").call("com.app.long", {}, {}, o), ApplicationError,
                       testing::has_error_uri("wamp.error.canceled"));
  t.join();
  REQUIRE(testing::eventually([&] { return received_by<w::interrupt>(*this, "callee").size() == 1; }));
  stop_clients();  // the handler returned before its client stopped
  CHECK(saw_cancel);
}

TEST_CASE_METHOD(testing::wamp_fixture, "a skip or killnowait cancel ends the call at once, without the router's answer",
                 "[client][rpc]") {
  const std::string mode = GENERATE("skip", "killnowait");
  testing::recorder<bool> started;
  std::promise<void> release;
  auto released = release.get_future().share();
  session("callee").register_procedure("com.app.long", [&, released](auto&&...) {
    started.add(true);
    released.wait();
    return call_result{};
  });
  // The router's answer to the CANCEL never comes.
  auto held = faults().install(testing::match().type(w::message_type::cancel), fault::hold());
  auto canceller = std::make_shared<call_canceller>();
  std::thread t([&] {
    if (started.wait_for(1)) canceller->cancel(mode);
  });
  call_options o;
  o.canceller = canceller;
  o.timeout = 60s;  // not what ends it
  CHECK_THROWS_MATCHES(session("caller").call("com.app.long", {}, {}, o), ApplicationError,
                       testing::has_error_uri("wamp.error.canceled"));
  t.join();
  // The call ended before its CANCEL reached the router, whose answer never comes.
  CHECK(testing::eventually([&] { return held.held() == 1; }));
  release.set_value();
  held.remove();
}

TEST_CASE("a router that does not announce call_canceling gets no CANCEL; the call ends at once", "[client][rpc]") {
  testing::wamp_fixture f;
  // The router's WELCOME to the caller, without the dealer's call_canceling (as fox-wamp's).
  auto no_canceling = f.faults().install(
      testing::match().type(w::message_type::welcome).session("caller"), fault::replace([](const w::message& m) -> w::message {
        auto welcome = std::get<w::welcome>(m);
        welcome.details["roles"]["dealer"]["features"].erase("call_canceling");
        return welcome;
      }));
  testing::recorder<bool> started;
  std::promise<void> release;
  auto released = release.get_future().share();
  f.session("callee").register_procedure("com.app.long", [&, released](auto&&...) {
    started.add(true);
    released.wait();
    return call_result{};
  });
  auto canceller = std::make_shared<call_canceller>();
  std::thread t([&] {
    if (started.wait_for(1)) canceller->cancel("kill");
  });
  call_options o;
  o.canceller = canceller;
  o.timeout = 60s;
  CHECK_THROWS_MATCHES(f.session("caller").call("com.app.long", {}, {}, o), ApplicationError,
                       testing::has_error_uri("wamp.error.canceled"));
  t.join();
  CHECK(sent_by<w::cancel>(f, "caller").empty());
  release.set_value();
}

TEST_CASE_METHOD(testing::wamp_fixture, "one cancel() cancels one call: a canceller used again does not cancel the next",
                 "[client][rpc]") {
  session("callee").register_procedure("com.app.echo", echo);
  auto canceller = std::make_shared<call_canceller>();
  canceller->cancel("killnowait");  // before the call: the call is never sent
  call_options o;
  o.canceller = canceller;
  CHECK_THROWS_MATCHES(session("caller").call("com.app.echo", {1}, {}, o), ApplicationError,
                       testing::has_error_uri("wamp.error.canceled"));
  CHECK(sent_by<w::call>(*this, "caller").empty());
  CHECK(session("caller").call("com.app.echo", {2}, {}, o).value() == 2);
}

TEST_CASE_METHOD(testing::wamp_fixture, "an exception from on_progress ends the call, and the router is told", "[client][rpc]") {
  testing::recorder<bool> interrupted;
  session("callee").register_procedure("com.app.stream", [&](const w::list&, const w::dict&, const invocation_details& d) {
    d.progress({1}, {});
    interrupted.add(wait_until_canceled(d));
    return call_result{};
  });
  call_options o;
  o.on_progress = [](const call_result&) { throw std::runtime_error("the consumer gave up"); };
  CHECK_THROWS_WITH(session("caller").call("com.app.stream", {}, {}, o), "the consumer gave up");
  REQUIRE(interrupted.wait_for(1));
  CHECK(interrupted.items()[0]);
  REQUIRE(testing::eventually([&] { return sent_by<w::cancel>(*this, "caller").size() == 1; }));
  CHECK(sent_by<w::cancel>(*this, "caller")[0].options.at("mode") == "killnowait");
  session("callee").register_procedure("com.app.echo", echo);
  CHECK(session("caller").call("com.app.echo", {3}).value() == 3);  // the session goes on
}

TEST_CASE("a result the callee cannot serialize reaches the caller as SerializationError", "[client][rpc]") {
  // Over RawSocket + JSON, text that is not UTF-8 cannot be encoded: the callee answers ERROR
  // wamp.error.invalid_payload (as AutobahnPython's does), which the caller maps onto
  // SerializationError (as AutobahnPython does).
  testing::fixture_options options;
  options.transport = testing::fixture_transport::rawsocket;
  testing::wamp_fixture f(options);
  f.session("callee").register_procedure("com.app.bad_text", [](auto&&...) { return call_result{{std::string("\xff")}}; });
  CHECK_THROWS_AS(f.session("caller").call("com.app.bad_text"), SerializationError);
  const auto errors = sent_by<w::error>(f, "callee");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].error_uri == "wamp.error.invalid_payload");
}

TEST_CASE_METHOD(testing::wamp_fixture, "a callee ends an invocation whose own timeout passed: the caller gets wamp.error.timeout",
                 "[client][rpc]") {
  // A router may pass CALL.Options.timeout on to a callee announcing call_timeout (ours
  // ends such calls itself): a rule adds it to the INVOCATION as such a router would.
  auto with_timeout = faults().install(
      testing::match().type(w::message_type::invocation), fault::replace([](const w::message& m) -> w::message {
        auto inv = std::get<w::invocation>(m);
        inv.details["timeout"] = 100;
        return inv;
      }));
  testing::recorder<bool> canceled;
  std::optional<std::chrono::milliseconds> seen_timeout;  // read once the handler is done
  session("callee").register_procedure("com.app.slow", [&](const w::list&, const w::dict&, const invocation_details& d) {
    seen_timeout = d.timeout;
    canceled.add(wait_until_canceled(d));
    return call_result{{"too late"}};
  });
  call_options o;
  o.timeout = 60s;  // not what ends it
  CHECK_THROWS_MATCHES(session("caller").call("com.app.slow", {}, {}, o), ApplicationError,
                       testing::has_error_uri("wamp.error.timeout"));
  REQUIRE(canceled.wait_for(1));
  CHECK(canceled.items()[0]);
  CHECK(seen_timeout == std::chrono::milliseconds(100));
  const auto errors = sent_by<w::error>(*this, "callee");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].error_uri == "wamp.error.timeout");
  stop_clients();  // the slow handler returned before its client stopped
  CHECK(sent_by<w::yield>(*this, "callee").empty());  // its late answer was dropped
}

TEST_CASE("a callee's own timeout runs anew from each progressive result", "[client][rpc]") {
  // On virtual time: 100 ms per result, 160 ms in all.
  testing::fixture_options options;
  options.virtual_time = true;
  testing::wamp_fixture f(options);
  auto with_timeout = f.faults().install(
      testing::match().type(w::message_type::invocation), fault::replace([](const w::message& m) -> w::message {
        auto inv = std::get<w::invocation>(m);
        inv.details["timeout"] = 100;
        return inv;
      }));
  std::promise<void> go1, go2;
  auto next1 = go1.get_future().share(), next2 = go2.get_future().share();
  f.session("callee").register_procedure("com.app.stream", [next1, next2](const w::list&, const w::dict&,
                                                                          const invocation_details& d) {
    d.progress({1}, {});
    if (next1.wait_for(30s) != std::future_status::ready) return call_result{{"no go"}};
    d.progress({2}, {});
    if (next2.wait_for(30s) != std::future_status::ready) return call_result{{"no go"}};
    return call_result{{"done"}};
  });
  testing::recorder<int> progress;
  call_options o;
  o.on_progress = [&](const call_result& r) { progress.add(r.args.at(0).get<int>()); };
  auto& caller = f.session("caller");
  auto call = std::async(std::launch::async, [&] { return caller.call("com.app.stream", {}, {}, o); });
  REQUIRE(progress.wait_for(1));
  f.advance(80ms);
  go1.set_value();
  REQUIRE(progress.wait_for(2));  // the callee re-armed its deadline as it sent it
  f.advance(80ms);                // 160 ms after the INVOCATION, 80 ms after the last result
  go2.set_value();
  CHECK(call.get().value() == "done");
}

TEST_CASE_METHOD(testing::wamp_fixture, "a payload that cannot be encoded is SerializationError", "[client][rpc]") {
  auto& s = session("app");
  CHECK_THROWS_AS(s.call("com.x", {std::string("\xff\xfe")}), SerializationError);
  CHECK_THROWS_AS(s.publish("com.t", {std::string("\xc3")}), SerializationError);
  CHECK(sent_by<w::call>(*this, "app").empty());
  CHECK(sent_by<w::publish>(*this, "app").empty());
}

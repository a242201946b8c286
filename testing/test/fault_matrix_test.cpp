// The fault matrix (issue 7): for every WAMP message a session exchanges, in the direction it
// travels, the transport is lost just before and just after it; and stop() / leave() are
// called while each blocking operation waits. Every point checks what users see:
// - the operation that waits on the lost session ends at once (far below the clients' 60 s
//   timeouts) with the documented error, and so does a second call of that session that was
//   already waiting (every waiting caller);
// - the lost session's handlers stop: nothing published or called afterwards reaches them;
// - the router frees the lost session: no session, registration, subscription or pending
//   call of it is left (checked in the router's state while the others still run, and again
//   by the fixture's leak check when every client stopped);
// - the other sessions carry on: a witness pair completes a call and an event, and every
//   surviving session of caller / callee / publisher / subscriber still calls.
//
// Setting FAULT_MATRIX_TABLE=<path> writes the outcome of every point as a Markdown table:
//   FAULT_MATRIX_TABLE=$PWD/matrix.md bazel run //testing:fault_matrix_test
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "testing/test/fault_matrix_world.hpp"

using namespace fault_matrix;  // the harness, and its wamp, testing and fault aliases

namespace {

enum class loss { before, after };
std::string to_string(loss l) { return l == loss::before ? "before" : "after"; }

// One message of the matrix: which message, whose transport is lost around it, and the user
// operation that makes it pass (its outcome, with any extra facts, is what the point checks).
struct matrix_row {
  std::string message;  // e.g. "RESULT (progressive)"
  message_type type;
  direction dir;
  std::string lost;  // the session whose transport is lost
  std::function<bool(const wamp::message&)> which;  // narrows the rule (progressive or final)
  std::string operation;  // what the user waits on, for the table
  std::function<std::string(world&, loss)> act;
  std::string expect_before, expect_after;
  bool joining = false;  // the lost session is a new one that is joining
  bool on_sockets = false;  // also in the RawSocket subset
};

bool has_true(const wamp::dict& d, const char* key) {
  const auto it = d.find(key);
  return it != d.end() && it->second == true;
}

// Joins a new session "joiner" (to `realm`, with a ticket when `ticket`), then calls the
// witness: what a user of a joining client sees.
std::string join_and_call(world& w, std::string realm, bool ticket) {
  bool joined = false;
  auto result = w.outcome_of([&] {
    run_options run;
    if (!realm.empty()) run.realm = realm;
    if (ticket) {
      run.authmethods = {"ticket"};
      run.authid = "tim";
    }
    auto& joiner = w.f.client("joiner", run, [&](AutobahnSync& app) {
      w.client_end_faults("joiner")(app);
      app.options().ticket = "t1cket";
    });
    joined = true;
    joiner.session().call(witness_procedure);
  });
  return (joined ? "run() returned, call(): " : "run(): ") + result;
}

// A call of the caller to `work` with `mode` that cancels itself (mode kill) once the
// invocation started; the outcome of the call.
std::string call_and_cancel(world& w) {
  auto canceller = std::make_shared<call_canceller>();
  const auto start = steady::now();
  bounded_op call([&] {
    w.f.session("caller").call(work, {"slow"}, {}, call_options{.canceller = canceller});
    return std::string("returned");
  });
  if (!w.invocations.wait_for(1, prompt)) {
    w.stop_after_hang();  // ends the call's thread
    return "the invocation never started";
  }
  canceller->cancel("kill");
  auto result = call.outcome_since(start);
  if (result == "hung") {
    w.stop_after_hang();
    return result;
  }
  // Whichever side was lost, the running handler learns that its answer goes nowhere.
  return result + (w.interrupted.wait_for(1, prompt) ? ", the running handler saw canceled()"
                                                      : ", the running handler was not told");
}

std::string call_with_progress(world& w) {
  int progress = 0;
  auto result = w.outcome_of([&] {
    w.f.session("caller").call(work, {"progressive"}, {},
                               call_options{.on_progress = [&](const call_result&) { ++progress; }});
  });
  return result + ", " + std::to_string(progress) + " progressive result(s)";
}

std::vector<matrix_row> matrix_rows() {
  auto is_progressive_result = [](const wamp::message& m) {
    return has_true(std::get<wamp::result>(m).details, "progress");
  };
  auto is_final_result = [=](const wamp::message& m) { return !is_progressive_result(m); };
  auto is_progressive_yield = [](const wamp::message& m) {
    return has_true(std::get<wamp::yield>(m).options, "progress");
  };
  auto is_final_yield = [=](const wamp::message& m) { return !is_progressive_yield(m); };
  auto publish_ack = [](world& w) {
    return w.outcome_of([&] { w.f.session("publisher").publish(topic, {1}, {}, publish_options{.acknowledge = true}); });
  };
  const std::string lost = "TransportLost";
  const std::string canceled = "ApplicationError wamp.error.canceled";
  const std::string told = ", the running handler saw canceled()";

  std::vector<matrix_row> rows;
  // Joining.
  const std::string run_lost = "run(): TransportLost";
  rows.push_back({"HELLO", message_type::hello, direction::to_router, "joiner", {}, "run() then call()",
                  [](world& w, loss) { return join_and_call(w, "", false); }, run_lost, run_lost, true});
  rows.push_back({"WELCOME", message_type::welcome, direction::to_client, "joiner", {}, "run() then call()",
                  [](world& w, loss) { return join_and_call(w, "", false); }, run_lost,
                  "run() returned, call(): TransportLost", true});
  rows.push_back({"ABORT", message_type::abort, direction::to_client, "joiner", {}, "run() to a missing realm",
                  [](world& w, loss) { return join_and_call(w, "com.matrix.no_such_realm", false); }, run_lost,
                  "run(): AbortError wamp.error.no_such_realm", true});
  rows.push_back({"CHALLENGE", message_type::challenge, direction::to_client, "joiner", {},
                  "run() with a ticket then call()", [](world& w, loss) { return join_and_call(w, "", true); },
                  run_lost, run_lost, true});
  rows.push_back({"AUTHENTICATE", message_type::authenticate, direction::to_router, "joiner", {},
                  "run() with a ticket then call()", [](world& w, loss) { return join_and_call(w, "", true); },
                  run_lost, run_lost, true});
  // Closing.
  rows.push_back({"GOODBYE (leave)", message_type::goodbye, direction::to_router, "caller", {}, "leave()",
                  [](world& w, loss) { return w.outcome_of([&] { w.f.session("caller").leave(); }); }, "returned",
                  "returned"});
  rows.push_back({"GOODBYE (answer to leave)", message_type::goodbye, direction::to_client, "caller", {}, "leave()",
                  [](world& w, loss) { return w.outcome_of([&] { w.f.session("caller").leave(); }); }, "returned",
                  "returned"});
  auto kill_caller = [](world& w, loss) {
    return w.outcome_of([&] { w.f.session("witness_caller").call("wamp.session.kill", {w.ids["caller"]}); });
  };
  rows.push_back({"GOODBYE (router kills the session)", message_type::goodbye, direction::to_client, "caller", {},
                  "wamp.session.kill by another session; the killed one's waiting call", kill_caller, "returned",
                  "returned"});
  rows.push_back({"GOODBYE (answer to the router's)", message_type::goodbye, direction::to_router, "caller", {},
                  "wamp.session.kill by another session; the killed one's waiting call", kill_caller, "returned",
                  "returned"});
  // Errors.
  rows.push_back({"ERROR (of a call)", message_type::error, direction::to_client, "caller", {},
                  "call() to a failing procedure",
                  [](world& w, loss) { return w.outcome_of([&] { w.f.session("caller").call(work, {"fail"}); }); },
                  lost, "ApplicationError com.matrix.failed"});
  rows.push_back({"ERROR (of an invocation)", message_type::error, direction::to_router, "callee", {},
                  "caller's call() to the failing procedure",
                  [](world& w, loss) { return w.outcome_of([&] { w.f.session("caller").call(work, {"fail"}); }); },
                  canceled, "ApplicationError com.matrix.failed"});
  // Publish and subscribe.
  rows.push_back({"PUBLISH", message_type::publish, direction::to_router, "publisher", {},
                  "publish(acknowledge); the subscriber's event",
                  [=](world& w, loss l) {
                    auto r = publish_ack(w);
                    // The router saw the PUBLISH only "after": then the event must arrive.
                    if (l == loss::after) r += w.events.wait_for(1, prompt) ? ", event delivered" : ", event lost";
                    return r;
                  },
                  lost, lost + ", event delivered"});
  rows.push_back({"PUBLISHED", message_type::published, direction::to_client, "publisher", {}, "publish(acknowledge)",
                  [=](world& w, loss) { return publish_ack(w); }, lost, "returned", false, true});
  rows.push_back({"EVENT", message_type::event, direction::to_client, "subscriber", {},
                  "publisher's publish(acknowledge); the lost subscriber's handler",
                  [=](world& w, loss l) {
                    auto r = publish_ack(w);
                    if (l == loss::after)
                      r += w.events.wait_for(1, prompt) ? ", handler ran for the event" : ", event lost";
                    return r;
                  },
                  "returned", "returned, handler ran for the event", false, true});
  rows.push_back({"SUBSCRIBE", message_type::subscribe, direction::to_router, "subscriber", {}, "subscribe()",
                  [](world& w, loss) {
                    return w.outcome_of([&] { w.f.session("subscriber").subscribe(extra_topic, [](auto&&...) {}); });
                  },
                  lost, lost});
  rows.push_back({"SUBSCRIBED", message_type::subscribed, direction::to_client, "subscriber", {}, "subscribe()",
                  [](world& w, loss) {
                    return w.outcome_of([&] { w.f.session("subscriber").subscribe(extra_topic, [](auto&&...) {}); });
                  },
                  lost, "returned", false, true});
  rows.push_back({"UNSUBSCRIBE", message_type::unsubscribe, direction::to_router, "subscriber", {}, "unsubscribe()",
                  [](world& w, loss) { return w.outcome_of([&] { w.spare_subscription.unsubscribe(); }); },
                  "returned", "returned"});  // the subscription went with the session: nothing left to undo
  rows.push_back({"UNSUBSCRIBED", message_type::unsubscribed, direction::to_client, "subscriber", {},
                  "unsubscribe()",
                  [](world& w, loss) { return w.outcome_of([&] { w.spare_subscription.unsubscribe(); }); },
                  "returned", "returned"});
  // Register.
  rows.push_back({"REGISTER", message_type::register_, direction::to_router, "callee", {}, "register_procedure()",
                  [](world& w, loss) {
                    return w.outcome_of([&] {
                      w.f.session("callee").register_procedure(extra_procedure, [](auto&&...) { return call_result{}; });
                    });
                  },
                  lost, lost});
  rows.push_back({"REGISTERED", message_type::registered, direction::to_client, "callee", {}, "register_procedure()",
                  [](world& w, loss) {
                    return w.outcome_of([&] {
                      w.f.session("callee").register_procedure(extra_procedure, [](auto&&...) { return call_result{}; });
                    });
                  },
                  lost, "returned"});
  rows.push_back({"UNREGISTER", message_type::unregister, direction::to_router, "callee", {}, "unregister()",
                  [](world& w, loss) { return w.outcome_of([&] { w.spare_registration.unregister(); }); },
                  "returned", "returned"});  // the registration went with the session
  rows.push_back({"UNREGISTERED", message_type::unregistered, direction::to_client, "callee", {}, "unregister()",
                  [](world& w, loss) { return w.outcome_of([&] { w.spare_registration.unregister(); }); },
                  "returned", "returned"});
  // Calls: the caller's side.
  rows.push_back({"CALL", message_type::call, direction::to_router, "caller", {}, "call()",
                  [](world& w, loss) { return w.outcome_of([&] { w.f.session("caller").call(work, {"plain"}); }); },
                  lost, lost, false, true});
  rows.push_back({"CANCEL", message_type::cancel, direction::to_router, "caller", {}, "call() canceled (kill)",
                  [](world& w, loss) { return call_and_cancel(w); }, lost + told, lost + told});
  rows.push_back({"RESULT (progressive)", message_type::result, direction::to_client, "caller",
                  is_progressive_result, "call() with on_progress",
                  [](world& w, loss) { return call_with_progress(w); }, lost + ", 0 progressive result(s)",
                  lost + ", 1 progressive result(s)"});
  rows.push_back({"RESULT (final)", message_type::result, direction::to_client, "caller", is_final_result, "call()",
                  [](world& w, loss) { return w.outcome_of([&] { w.f.session("caller").call(work, {"plain"}); }); },
                  lost, "returned", false, true});
  // Calls: the callee's side (the caller is not lost; the router answers it).
  rows.push_back({"INVOCATION", message_type::invocation, direction::to_client, "callee", {},
                  "caller's call(); the lost callee's handler",
                  [](world& w, loss l) {
                    auto r = w.outcome_of([&] { w.f.session("caller").call(work, {"plain"}); });
                    // Received before the loss, the invocation runs (its YIELD goes nowhere).
                    if (l == loss::after)
                      r += w.invocations.wait_for(1, prompt) ? ", handler ran" : ", handler did not run";
                    return r;
                  },
                  canceled, canceled + ", handler ran", false, true});
  rows.push_back({"INTERRUPT", message_type::interrupt, direction::to_client, "callee", {},
                  "caller's call() canceled (kill)", [](world& w, loss) { return call_and_cancel(w); }, canceled + told,
                  canceled + told});
  rows.push_back({"YIELD (progressive)", message_type::yield, direction::to_router, "callee", is_progressive_yield,
                  "caller's call() with on_progress", [](world& w, loss) { return call_with_progress(w); },
                  canceled + ", 0 progressive result(s)", canceled + ", 1 progressive result(s)"});
  rows.push_back({"YIELD (final)", message_type::yield, direction::to_router, "callee", is_final_yield,
                  "caller's call()",
                  [](world& w, loss) { return w.outcome_of([&] { w.f.session("caller").call(work, {"plain"}); }); },
                  canceled, "returned"});
  return rows;
}

// One checked point, for the assertions and the table.
struct point_result {
  std::string message, dir, lost, when, operation;
  std::string seen;  // what the user saw
  std::vector<std::string> problems;
  long long slowest_ms = 0;
};

std::string dir_name(direction d) { return d == direction::to_router ? "client → router" : "router → client"; }

point_result run_loss_point(const matrix_row& row, loss when, testing::fixture_options options) {
  point_result out{row.message, dir_name(row.dir), row.lost, to_string(when), row.operation, {}, {}, 0};
  auto problem = [&](std::string p) { out.problems.push_back(std::move(p)); };
  world w(std::move(options));
  if (!row.joining && !w.start_waiting_call(row.lost)) problem("the waiting call never reached the staller");

  auto selector = match().type(row.type).session(row.lost);
  row.dir == direction::to_router ? selector.to_router() : selector.to_client();
  if (row.which) selector.where([which = row.which](const testing::observed_message& m) { return which(m.msg); });
  // The loss happens where the message is received: on the router's end for messages to the
  // router, on the client's end for messages to the client.
  auto& plan = row.dir == direction::to_router ? w.f.faults() : *w.client_plan;
  auto rule = plan.install(selector.nth(1), when == loss::before ? fault::close_before() : fault::close_after(),
                           "lose " + row.lost + "'s transport " + to_string(when) + " " + row.message);
  testing::rule_handle cut_answers;
  if (row.dir == direction::to_router && when == loss::after) {
    // The router's answer to the message is sent before the transport drops, and may or may not
    // outrun the drop: as on a real network. To check one outcome, the loss takes it too.
    cut_answers = w.client_plan->install(
        match().session(row.lost).to_client().where([&rule](const testing::observed_message&) {
          return rule.hits() > 0;
        }),
        fault::close_before(), "the loss also takes what the router sends afterwards").optional();
  }

  out.seen = row.act(w, when);
  if (w.hung) {
    problem("the operation hung: " + out.seen);
    return out;
  }
  const auto& expected = when == loss::before ? row.expect_before : row.expect_after;
  if (out.seen != expected) problem("saw " + out.seen + ", expected " + expected);
  // Some messages follow the operation (the killed session's GOODBYE answers the router after
  // the kill call returned), so wait for the rule.
  testing::eventually([&] { return rule.hits() > 0; }, prompt);
  if (rule.hits() != 1) problem("the loss rule fired " + std::to_string(rule.hits()) + " times");
  if (w.waiting_call) {
    // The loss happened when act() returned; the call already waiting must have ended too.
    const auto waited = w.waiting_call->outcome_since(steady::now());
    if (waited != "TransportLost") problem("the session's other waiting call: " + waited);
    out.seen += "; waiting call: " + waited;
  }

  const wamp::id lost_id = row.joining ? 0 : w.ids[row.lost];
  for (const auto& left : w.router_freed(lost_id, everyone.size() - (row.joining ? 0 : 1)))
    problem("router after the loss: " + left);
  if (!row.joining && w.f.session(row.lost).is_joined()) problem("the lost session still says it is joined");

  // Handlers stop: nothing reaches the lost session's handlers from here on.
  const int runs = w.runs(row.lost);
  for (auto& p : w.carry_on(row.lost)) problem("others carry on: " + p);
  if (w.runs(row.lost) != runs) problem("a handler of the lost session ran after the loss");
  out.slowest_ms = w.slowest_ms;

  w.slow_gate.open();
  w.stall.remove();
  w.f.stop_clients();
  for (auto& left : w.f.leaks()) problem("after stopping every client: " + left);
  w.f.check_leaks(false);  // reported above, with the point's name
  return out;
}

// stop() / leave() while a blocking operation waits for an answer that a hold rule keeps.
struct blocking_row {
  std::string operation;
  std::string session;
  message_type held;  // the message kept from arriving
  direction held_dir;
  std::string held_session;
  std::function<void(world&)> op;
  bool by_leave_too = true;  // leave() during leave() is not a point
  /// What the session's other waiting call sees, when not what the interruption gives.
  std::string waiting_call_sees;
  /// What the operation sees when leave() interrupts it, when not TransportLost.
  std::string sees_on_leave;
};

std::vector<blocking_row> blocking_rows() {
  std::vector<blocking_row> rows;
  rows.push_back({"call() waiting for its RESULT (the INVOCATION is held)", "caller", message_type::invocation,
                  direction::to_client, "callee", [](world& w) { w.f.session("caller").call(work, {"plain"}); }});
  rows.push_back({"call() waiting for its RESULT (the RESULT is held)", "caller", message_type::result,
                  direction::to_client, "caller", [](world& w) { w.f.session("caller").call(work, {"plain"}); }});
  rows.push_back({"publish(acknowledge) waiting for PUBLISHED", "publisher", message_type::published,
                  direction::to_client, "publisher", [](world& w) {
                    w.f.session("publisher").publish(topic, {1}, {}, publish_options{.acknowledge = true});
                  }});
  rows.push_back({"subscribe() waiting for SUBSCRIBED", "subscriber", message_type::subscribed, direction::to_client,
                  "subscriber",
                  [](world& w) { w.f.session("subscriber").subscribe(extra_topic, [](auto&&...) {}); }});
  rows.push_back({"unsubscribe() waiting for UNSUBSCRIBED", "subscriber", message_type::unsubscribed,
                  direction::to_client, "subscriber", [](world& w) { w.spare_subscription.unsubscribe(); }, true, "",
                  "returned"});  // the session's end took the subscription with it
  rows.push_back({"register_procedure() waiting for REGISTERED", "callee", message_type::registered,
                  direction::to_client, "callee", [](world& w) {
                    w.f.session("callee").register_procedure(extra_procedure, [](auto&&...) { return call_result{}; });
                  }});
  rows.push_back({"unregister() waiting for UNREGISTERED", "callee", message_type::unregistered,
                  direction::to_client, "callee", [](world& w) { w.spare_registration.unregister(); }, true, "",
                  "returned"});
  rows.push_back({"leave() waiting for the router's GOODBYE", "caller", message_type::goodbye, direction::to_client,
                  "caller", [](world& w) { w.f.session("caller").leave(); }, false,
                  "TransportLost"});  // the leave() failed it before stop()
  return rows;
}

enum class interruption { stop, leave };

point_result run_blocking_point(const blocking_row& row, interruption how, testing::fixture_options options) {
  const std::string how_name = how == interruption::stop ? "stop()" : "leave()";
  const std::string interruption_gives = how == interruption::stop ? "NotRunningError" : "TransportLost";
  const std::string expected =
      how == interruption::leave && !row.sees_on_leave.empty() ? row.sees_on_leave : interruption_gives;
  point_result out{how_name + " during " + row.operation, "", row.session, "", row.operation, {}, {}, 0};
  auto problem = [&](std::string p) { out.problems.push_back(std::move(p)); };
  world w(std::move(options));
  if (!w.start_waiting_call(row.session)) problem("the waiting call never reached the staller");

  auto selector = match().type(row.held).session(row.held_session);
  row.held_dir == direction::to_router ? selector.to_router() : selector.to_client();
  auto hold = w.f.faults().install(selector, fault::hold(), "hold " + std::string(wamp::name_of(row.held)));
  bounded_op op([&] {
    row.op(w);
    return std::string("returned");
  });
  if (!testing::eventually([&] { return hold.held() > 0; }, prompt)) problem("the answer was never held");

  // stop() / leave() on a thread of their own: stop() during leave() waits (at most
  // leave_timeout, as documented) for the router's GOODBYE, which is held until the end.
  const auto interrupted_at = steady::now();
  bounded_op control([&] {
    if (how == interruption::stop)
      w.f.client(row.session).stop();
    else
      w.f.session(row.session).leave();
    return std::string("returned");
  });
  const auto seen = op.outcome_since(interrupted_at);
  const auto waited = w.waiting_call->outcome_since(interrupted_at);
  // The held answer now goes to a closed connection (a held INVOCATION goes to the callee,
  // whose call the router already ended).
  hold.remove();
  const auto control_seen = control.outcome_since(steady::now());
  if (seen == "hung" || waited == "hung" || control_seen == "hung") w.stop_after_hang();
  out.seen = seen + " in " + std::to_string(op.elapsed_ms()) + " ms; waiting call: " + waited;
  if (seen != expected) problem("the operation: " + seen + ", expected " + expected);
  const auto waited_expected = row.waiting_call_sees.empty() ? interruption_gives : row.waiting_call_sees;
  if (waited != waited_expected)
    problem("the session's other waiting call: " + waited + ", expected " + waited_expected);
  if (control_seen != "returned") problem(how_name + " itself: " + control_seen);
  if (w.hung) return out;

  for (const auto& left : w.router_freed(w.ids[row.session], everyone.size() - 1))
    problem("router after " + how_name + ": " + left);
  const int runs = w.runs(row.session);
  for (auto& p : w.carry_on(row.session)) problem("others carry on: " + p);
  if (w.runs(row.session) != runs) problem("a handler of the stopped session ran afterwards");
  out.slowest_ms = std::max(w.slowest_ms, op.elapsed_ms());

  w.slow_gate.open();
  w.stall.remove();
  w.f.stop_clients();
  for (auto& left : w.f.leaks()) problem("after stopping every client: " + left);
  w.f.check_leaks(false);
  return out;
}

// The Markdown table, collected over the test cases of this file (they run in one process);
// each test case rewrites it with every row so far.
std::vector<std::pair<std::string, point_result>>& table_rows() {
  static std::vector<std::pair<std::string, point_result>> rows;
  return rows;
}

void record(const std::string& transport, const point_result& r) {
  table_rows().emplace_back(transport, r);
  INFO(transport << ": " << r.message << " " << r.dir << ", " << r.lost << "'s transport lost " << r.when
                 << "; saw: " << r.seen);
  for (const auto& p : r.problems) FAIL_CHECK(p);
  CHECK(r.problems.empty());
}

std::string cell(std::string s) {
  for (auto& c : s)
    if (c == '|') c = '/';
  return s;
}

void write_table() {
  const char* path = std::getenv("FAULT_MATRIX_TABLE");
  if (!path) return;
  std::ofstream out(path);
  out << "# Fault matrix\n\n"
      << "Generated by `FAULT_MATRIX_TABLE=$PWD/matrix.md bazel run //testing:fault_matrix_test`\n"
      << "(testing/test/fault_matrix_test.cpp). Sessions: caller, callee, publisher, subscriber, a\n"
      << "witness pair (witness_caller, witness_callee) and a staller whose INVOCATIONs are held, so\n"
      << "that one call of the lost session is already waiting when its transport is lost.\n\n"
      << "The transport is lost where the message is received: on the router's end for messages\n"
      << "to the router (before: the router never sees it; after: the router handled it, and the\n"
      << "loss also takes whatever the router sends the session afterwards), on the client's end\n"
      << "for messages to the client (before: the client never sees it; after: the client handled\n"
      << "it). Over RawSocket the fixture's rules sit on the client's end, so there a loss after a\n"
      << "message to the router comes right after it was written to the socket.\n\n"
      << "Every point also checks: the operation and the session's waiting call end within "
      << prompt.count() << " ms\n(client timeouts are " << client_timeout.count() / 1000
      << " s); no handler of the lost session runs afterwards; the router keeps no\n"
      << "session, registration, subscription or pending call of it (while the others still run,\n"
      << "and after every client stopped); the witness pair completes a call and an event, every\n"
      << "surviving role still calls, the callee's procedure and the subscriber's topic behave as\n"
      << "the loss implies.\n\n";
  out << "## Transport lost before / after each message\n\n"
      << "| Transport | Message | Direction | Lost session | Loss | Operation | What the user sees | "
         "Slowest operation (ms) | Result |\n"
      << "|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& [transport, r] : table_rows()) {
    if (r.when.empty()) continue;
    out << "| " << transport << " | " << cell(r.message) << " | " << r.dir << " | " << r.lost << " | " << r.when
        << " | " << cell(r.operation) << " | " << cell(r.seen) << " | " << r.slowest_ms << " | "
        << (r.problems.empty() ? "pass" : "FAIL: " + cell(r.problems.front())) << " |\n";
  }
  out << "\n## stop() and leave() while an operation waits\n\n"
      << "The answer the operation waits for is held by a rule; then stop() or leave() runs on another\n"
      << "thread. stop() must wake the operation (and the session's other waiting call) with\n"
      << "NotRunningError, leave() with TransportLost; then the same checks as above.\n\n"
      << "| Transport | Interruption | Session | What the user sees | Slowest operation (ms) | Result |\n"
      << "|---|---|---|---|---|---|\n";
  for (const auto& [transport, r] : table_rows()) {
    if (!r.when.empty()) continue;
    out << "| " << transport << " | " << cell(r.message) << " | " << r.lost << " | " << cell(r.seen) << " | "
        << r.slowest_ms << " | " << (r.problems.empty() ? "pass" : "FAIL: " + cell(r.problems.front())) << " |\n";
  }
}

}  // namespace

TEST_CASE("fault matrix: the transport is lost before and after every message (in-process)",
          "[integration][fault-matrix]") {
  for (const auto& row : matrix_rows())
    for (auto when : {loss::before, loss::after}) record("in-process", run_loss_point(row, when, {}));
  write_table();
}

TEST_CASE("fault matrix: stop() and leave() during every blocking operation (in-process)",
          "[integration][fault-matrix]") {
  for (const auto& row : blocking_rows()) {
    record("in-process", run_blocking_point(row, interruption::stop, {}));
    if (row.by_leave_too) record("in-process", run_blocking_point(row, interruption::leave, {}));
  }
  write_table();
}

TEST_CASE("fault matrix: a representative subset over RawSocket on 127.0.0.1", "[integration][fault-matrix]") {
  testing::fixture_options options;
  options.transport = testing::fixture_transport::rawsocket;
  for (const auto& row : matrix_rows()) {
    if (!row.on_sockets) continue;
    for (auto when : {loss::before, loss::after}) record("rawsocket", run_loss_point(row, when, options));
  }
  record("rawsocket", run_blocking_point(blocking_rows().front(), interruption::stop, options));
  record("rawsocket", run_blocking_point(blocking_rows().front(), interruption::leave, options));
  write_table();
}

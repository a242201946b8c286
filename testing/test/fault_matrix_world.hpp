// The harness of the fault matrix (fault_matrix_test.cpp): the sessions of one point and
// what their handlers saw (`world`), an operation bounded in time on a thread of its own
// (`bounded_op`), and the gate that holds "slow" invocations until a point ends.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "testing/eventually.hpp"
#include "testing/faulty_connection.hpp"
#include "testing/recorder.hpp"
#include "testing/wamp_fixture.hpp"

namespace fault_matrix {

namespace wamp = autobahn_sync::wamp;
namespace testing = autobahn_sync::testing;
namespace fault = testing::fault;
using namespace autobahn_sync;
using namespace std::chrono_literals;
using testing::direction;
using testing::match;
using wamp::message_type;


using steady = std::chrono::steady_clock;

// The clients wait this long for any answer: an operation that only ends by its timeout shows
// up as a hang.
constexpr std::chrono::milliseconds client_timeout = 60s;
// "At once": how long a woken operation may take to return on a loaded 2-core CI machine.
constexpr std::chrono::milliseconds prompt = 3s;

inline const std::string work = "com.matrix.work";
inline const std::string spare_procedure = "com.matrix.spare";
inline const std::string extra_procedure = "com.matrix.extra";
inline const std::string stall_procedure = "com.matrix.stall";
inline const std::string witness_procedure = "com.matrix.witness";
inline const std::string topic = "com.matrix.topic";
inline const std::string spare_topic = "com.matrix.spare_topic";
inline const std::string extra_topic = "com.matrix.extra_topic";
inline const std::string witness_topic = "com.matrix.witness_topic";

// The sessions of every point: the four roles, a witness pair, and a callee whose INVOCATIONs
// are held so that a call of the lost session is already waiting when the loss happens.
inline const std::vector<std::string> roles = {"caller", "callee", "publisher", "subscriber"};
inline const std::vector<std::string> everyone = {"caller",         "callee",         "publisher", "subscriber",
                                           "witness_callee", "witness_caller", "staller"};

inline std::string describe(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const AbortError& x) {
    return "AbortError " + x.reason();
  } catch (const ApplicationError& x) {
    return "ApplicationError " + x.error();
  } catch (const TransportLost&) {
    return "TransportLost";
  } catch (const NotRunningError&) {
    return "NotRunningError";
  } catch (const ConnectionRefusedError&) {
    return "ConnectionRefusedError";
  } catch (const SessionNotReady&) {
    return "SessionNotReady";
  } catch (const ProtocolError& x) {
    return std::string("ProtocolError: ") + x.what();
  } catch (const std::exception& x) {
    return std::string("unexpected exception: ") + x.what();
  }
}

inline long long ms(steady::duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); }

// An operation on its own thread, so that a hang is seen (after `prompt`) instead of stalling
// the test. The owner must unblock it (stop the clients) before destroying it.
class bounded_op {
 public:
  explicit bounded_op(std::function<std::string()> op) {
    thread_ = std::thread([this, op = std::move(op)] {
      std::string result;
      try {
        result = op();
      } catch (...) {
        result = describe(std::current_exception());
      }
      std::lock_guard lock(mutex_);
      result_ = std::move(result);
      end_ = steady::now();
      done_ = true;
      changed_.notify_all();
    });
  }
  ~bounded_op() { thread_.join(); }
  bounded_op(const bounded_op&) = delete;
  bounded_op& operator=(const bounded_op&) = delete;

  /// The outcome once the operation ended, measured from `since`: "hung" when it did not end
  /// within `prompt` of `since`.
  std::string outcome_since(steady::time_point since) {
    std::unique_lock lock(mutex_);
    if (!changed_.wait_until(lock, since + prompt, [&] { return done_; })) return "hung";
    elapsed_ms_ = ms(end_ - since);
    return result_;
  }
  long long elapsed_ms() const { return elapsed_ms_; }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool done_ = false;
  std::string result_;
  steady::time_point end_;
  long long elapsed_ms_ = -1;
  std::thread thread_;
};

// Opened at the end of a point: lets "slow" invocations that were not interrupted return.
class gate {
 public:
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }
  /// Waits until open, `canceled` holds or 10 s passed; true when canceled.
  bool wait_or_canceled(const std::function<bool()>& canceled) {
    std::unique_lock lock(mutex_);
    const auto until = steady::now() + 10s;
    // INTERRUPT only sets a flag, so look at it every millisecond.
    while (!open_ && !canceled() && steady::now() < until) changed_.wait_for(lock, 1ms);
    return canceled();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = false;
};

// The sessions of one point and what their handlers saw.
class world {
 public:
  explicit world(testing::fixture_options options) : f(with_long_timeouts(std::move(options))) {
    for (const auto& name : everyone) f.client(name, {}, client_end_faults(name));
    f.session("callee").register_procedure(work, [this](const wamp::list& args, const wamp::dict&,
                                                        const invocation_details& d) {
      count("callee");
      const std::string mode = args.empty() ? "" : args.at(0).get<std::string>();
      invocations.add(mode);
      if (mode == "fail") throw ApplicationError("com.matrix.failed");
      if (mode == "slow") {
        if (slow_gate.wait_or_canceled([&] { return d.canceled(); })) interrupted.add(mode);
        return call_result{{"slow"}};
      }
      if (d.receive_progress) d.progress({1}, {});
      return call_result{{2}};
    });
    spare_registration = f.session("callee").register_procedure(spare_procedure, [this](auto&&...) {
      count("callee");
      return call_result{};
    });
    f.session("subscriber").subscribe(topic, [this](const wamp::list& args, const wamp::dict& kwargs,
                                                    const event_details& d) {
      count("subscriber");
      events.add({args, kwargs, d});
    });
    spare_subscription = f.session("subscriber").subscribe(spare_topic, [this](auto&&...) { count("subscriber"); });
    f.session("witness_callee").register_procedure(witness_procedure, [](const wamp::list& args, auto&&...) {
      return call_result{args};
    });
    f.session("witness_callee").subscribe(witness_topic, witness_events.handler());
    f.session("staller").register_procedure(stall_procedure, [](auto&&...) { return call_result{}; });
    for (const auto& name : everyone) ids[name] = f.session(name).id();
    stall = f.faults().install(match().type(message_type::invocation).session("staller"), fault::hold(),
                               "hold INVOCATIONs to staller").optional();
  }

  ~world() {
    // Unblock whatever still waits (only after a failure), then let held and slow work end.
    slow_gate.open();
    f.stop_clients();
    stall.remove();
  }

  /// Puts `client_plan` on the client's end of its connection (the fixture's plan sits on the
  /// router's end of in-process connections): rules there act on messages to the client as
  /// the client receives them, so "lost after" a message means the client processed it.
  std::function<void(AutobahnSync&)> client_end_faults(const std::string& name) {
    return [plan = client_plan, name](AutobahnSync& app) {
      auto inner = app.options().connect;
      app.options().connect = [inner, plan, name](boost::asio::any_io_executor executor, const std::string& url,
                                                  wamp::connect_handler done) {
        inner(executor, url, [plan, name, done](const boost::system::error_code& ec, wamp::connection_ptr c) {
          if (ec) return done(ec, nullptr);
          done(ec, testing::faulty_connection::wrap(std::move(c), name, plan, nullptr, nullptr,
                                                     testing::faulty_connection::end::client));
        });
      };
    };
  }

  /// A call of `name` that waits (its INVOCATION is held) when the loss happens.
  bool start_waiting_call(const std::string& name) {
    const auto held = stall.held();
    waiting_call = std::make_unique<bounded_op>([this, name] {
      f.session(name).call(stall_procedure);
      return std::string("returned");
    });
    return testing::eventually([&] { return stall.held() > held; }, prompt);
  }

  /// Runs `op` on a helper thread; its outcome ("returned", the exception, or "hung").
  std::string outcome_of(const std::function<void()>& op) {
    if (hung) return "not run: an earlier operation hung";
    const auto start = steady::now();
    bounded_op b([&] {
      op();
      return std::string("returned");
    });
    auto result = b.outcome_since(start);
    if (result == "hung") stop_after_hang();
    slowest_ms = std::max(slowest_ms, b.elapsed_ms());
    return result;
  }

  /// Stops every client so that a hung helper thread ends; later operations are not run.
  void stop_after_hang() {
    hung = true;
    f.stop_clients();
  }

  void count(const std::string& name) {
    std::lock_guard lock(mutex_);
    ++handler_runs_[name];
  }
  int runs(const std::string& name) {
    std::lock_guard lock(mutex_);
    return handler_runs_[name];
  }

  /// What the router still holds of session `lost` (0: none known, e.g. a joining session)
  /// once `live` sessions are left: empty when it freed everything.
  std::vector<std::string> router_holds(wamp::id lost, std::size_t live) {
    return f.the_router().with_core([&](router::router_core& core) {
      std::vector<std::string> out;
      router::realm* r = core.find_realm(f.realm_name());
      if (r->sessions().count(lost)) out.push_back("the session is still joined");
      if (r->sessions().size() != live)
        out.push_back(std::to_string(r->sessions().size()) + " sessions joined, not " + std::to_string(live));
      for (const auto* reg : r->the_dealer().all())
        for (auto callee : reg->callees)
          if (callee == lost) out.push_back("registration " + reg->uri + " still has it as callee");
      for (const auto* sub : r->the_broker().all())
        for (auto subscriber : sub->subscribers)
          if (subscriber == lost) out.push_back("subscription " + sub->uri + " still has it as subscriber");
      if (r->the_dealer().pending_call_count())
        out.push_back(std::to_string(r->the_dealer().pending_call_count()) + " pending call(s)");
      return out;
    });
  }

  /// Waits for the router to free `lost`; what is left after `prompt`.
  std::vector<std::string> router_freed(wamp::id lost, std::size_t live) {
    std::vector<std::string> left;
    testing::eventually([&] { return (left = router_holds(lost, live)).empty(); }, prompt);
    return left;
  }

  /// The others carry on: the witness pair calls and publishes, every surviving role calls,
  /// and calls/events for the lost role end as its loss implies. Problems found.
  std::vector<std::string> carry_on(const std::string& lost) {
    std::vector<std::string> problems;
    auto expect = [&](const std::string& what, const std::string& got, const std::string& wanted) {
      if (got != wanted) problems.push_back(what + ": " + got + " (expected " + wanted + ")");
    };
    auto& wc = f.session("witness_caller");
    std::string echoed;
    expect("witness call", outcome_of([&] { echoed = wc.call(witness_procedure, {7}).value().dump(); }), "returned");
    expect("witness call result", echoed, "7");
    const auto witnessed = witness_events.size();
    expect("witness publish",
           outcome_of([&] { wc.publish(witness_topic, {1}, {}, publish_options{.acknowledge = true}); }), "returned");
    if (!witness_events.wait_for(witnessed + 1, prompt)) problems.push_back("the witness event did not arrive");
    for (const auto& role : roles) {
      if (role == lost) continue;
      expect(role + " calls the witness", outcome_of([&] { f.session(role).call(witness_procedure, {1}); }),
             "returned");
    }
    expect("a call to the callee's procedure", outcome_of([&] { wc.call(work, {"plain"}); }),
           lost == "callee" ? "ApplicationError wamp.error.no_such_procedure" : "returned");
    const auto before = events.size();
    expect("a publish to the subscriber's topic",
           outcome_of([&] { wc.publish(topic, {2}, {}, publish_options{.acknowledge = true}); }), "returned");
    if (lost != "subscriber" && !events.wait_for(before + 1, prompt))
      problems.push_back("the subscriber missed an event after the loss");
    if (lost != "subscriber" && events.size() != before + 1)
      problems.push_back("the subscriber got " + std::to_string(events.size() - before) + " events for 1 publish");
    return problems;
  }

  std::shared_ptr<testing::fault_plan> client_plan = testing::fault_plan::create();
  testing::wamp_fixture f;
  std::map<std::string, wamp::id> ids;
  testing::rule_handle stall;
  std::unique_ptr<bounded_op> waiting_call;
  registration spare_registration;
  subscription spare_subscription;
  testing::event_recorder events;          // the subscriber's, on `topic`
  testing::event_recorder witness_events;  // the witness callee's, on `witness_topic`
  testing::recorder<std::string> invocations;  // the callee's `work` invocations (their mode)
  testing::recorder<std::string> interrupted;  // "slow" invocations that saw the interrupt
  gate slow_gate;
  long long slowest_ms = 0;
  bool hung = false;  // an operation hung: the clients are stopped, the point is over

 private:
  static testing::fixture_options with_long_timeouts(testing::fixture_options o) {
    o.client.call_timeout = client_timeout;
    o.client.join_timeout = client_timeout;
    o.client.leave_timeout = client_timeout;
    // A ticket user for the CHALLENGE / AUTHENTICATE points; the realm stays open otherwise.
    o.realm.users.push_back({.authid = "tim", .role = "user", .method = "ticket", .secret = "t1cket"});
    return o;
  }

  std::mutex mutex_;
  std::map<std::string, int> handler_runs_;
};

}  // namespace fault_matrix

#include "testing/explore.hpp"

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "testing/detail/watchdog.hpp"

namespace autobahn_sync::testing {
namespace {

action action_for(explore_fault f) {
  switch (f) {
    case explore_fault::drop: return fault::drop();
    case explore_fault::close_before: return fault::close_before();
    case explore_fault::close_after: return fault::close_after();
    case explore_fault::delay_past_timeout: return fault::hold();  // late_release lets it go
    case explore_fault::duplicate: return fault::duplicate();
  }
  return fault::drop();
}

// Releases the message a hold rule picks once `delay` passed since it was picked: on the
// fixture's clock when it has one (a virtual timer, which a simulation jumps to when nothing
// else can run), else from a thread that waits on real time. The rule's selector gets
// picker(): counting the messages itself is how it learns the moment the message is held.
class late_release {
 public:
  late_release(wamp_fixture& f, std::chrono::milliseconds delay) : fixture_(f), state_(std::make_shared<shared>()) {
    state_->clock = f.clock();
    state_->delay = delay;
    if (!state_->clock) thread_ = std::thread([state = state_] { release_on_real_time(*state); });
  }
  /// Stops the delay: the rule, removed after this, releases what it still holds.
  ~late_release() {
    {
      std::lock_guard lock(state_->mutex);
      state_->stopped = true;
      if (state_->timer) state_->clock->cancel_timer(*state_->timer);
    }
    state_->changed.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  late_release(const late_release&) = delete;
  late_release& operator=(const late_release&) = delete;

  /// The rule whose held message to release (set before any message can reach it; it must
  /// outlive this object).
  void set_rule(rule_handle* rule) { state_->rule = rule; }

  /// A match predicate that picks the `nth` message passing the rule's other filters (it is
  /// only asked about those) and starts the delay. Runs inside the fault plan's lock.
  std::function<bool(const observed_message&)> picker(std::size_t nth) const {
    return [nth, state = state_, seen = std::size_t{0}](const observed_message&) mutable {
      if (++seen != nth) return false;
      std::lock_guard lock(state->mutex);
      if (state->stopped) return false;
      if (state->clock) {
        state->due = state->clock->now() + state->delay;
        // The rule holds the message right after this; the timer fires on a later advance.
        state->timer = state->clock->call_at(*state->due, [state] { release(*state); });
      } else {
        state->due = std::chrono::steady_clock::now() + state->delay;
        state->changed.notify_all();
      }
      return true;
    };
  }

  /// When the message was picked and not yet released, lets the delay run out (advancing
  /// virtual time to it, or waiting for the releasing thread), so that it arrives while the
  /// clients still run.
  void wait_for_release() {
    std::unique_lock lock(state_->mutex);
    if (state_->released || !state_->due) return;
    if (state_->clock) {
      const auto left = *state_->due - state_->clock->now();
      lock.unlock();
      if (left.count() > 0) fixture_.advance(std::chrono::ceil<std::chrono::milliseconds>(left));
      return;
    }
    state_->changed.wait(lock, [&] { return state_->released; });
  }

 private:
  // Shared with the rule's predicate and the clock's timer, which may outlive this object.
  struct shared {
    std::mutex mutex;
    std::condition_variable changed;
    wamp::manual_clock* clock = nullptr;  // the fixture's, which outlives its fault plan's rules
    std::chrono::milliseconds delay{0};
    rule_handle* rule = nullptr;
    std::optional<std::chrono::steady_clock::time_point> due;  // set once picked
    std::optional<std::uint64_t> timer;
    bool released = false;
    bool stopped = false;
  };

  static void release(shared& s) {
    {
      std::lock_guard lock(s.mutex);
      if (s.stopped || s.released) return;
      s.released = true;
    }
    s.rule->release();
    s.changed.notify_all();
  }

  static void release_on_real_time(shared& s) {
    std::unique_lock lock(s.mutex);
    s.changed.wait(lock, [&] { return s.stopped || s.due; });
    if (s.stopped) return;
    // A timed wait is the fault itself here: the message is late by this much.
    if (s.changed.wait_until(lock, *s.due, [&] { return s.stopped; })) return;
    lock.unlock();
    release(s);
  }

  wamp_fixture& fixture_;
  std::shared_ptr<shared> state_;
  std::thread thread_;
};

// Where a message sits in the learning run: the k-th of its type, direction and session.
struct message_point {
  std::string session;
  direction dir;
  wamp::message_type type;
  std::size_t nth;
  std::string describe(std::size_t index, std::size_t total) const {
    std::ostringstream out;
    out << session << " " << to_string(dir) << " " << wamp::name_of(type) << " #" << nth << " (message "
        << index + 1 << " of " << total << ")";
    return out.str();
  }
};

std::vector<message_point> points_of(const std::vector<trace_entry>& trace) {
  std::map<std::tuple<std::string, direction, wamp::message_type>, std::size_t> seen;
  std::vector<message_point> out;
  for (const auto& e : trace) {
    if (is_handler_note(e.note)) continue;  // a handler's start, not a message
    const auto n = ++seen[{e.session, e.dir, e.type()}];
    out.push_back({e.session, e.dir, e.type(), n});
  }
  return out;
}

bool is_final_call_answer(const wamp::message& m) {
  if (const auto* r = std::get_if<wamp::result>(&m)) {
    const auto p = r->details.find("progress");
    return p == r->details.end() || p->second != true;
  }
  if (const auto* e = std::get_if<wamp::error>(&m)) return e->request_type == wamp::message_type::call;
  return false;
}

// True for a trace line that stands for a message the router itself sent (or received): not
// a rule's answer or injection, and not a later record ("released", "lost: ...", "delivered:
// ...") of a message already traced.
bool sent_by_its_sender(const trace_entry& e) {
  const auto& n = e.note;
  return n != "answered by rule" && n != "injected" && n != "released" && n.rfind("lost", 0) != 0 &&
         n.rfind("not delivered", 0) != 0 && n.rfind("delivered:", 0) != 0 && !is_handler_note(n);
}

// Per session (by name): EVENTs only for subscriptions the router confirmed and has not ended
// (by UNSUBSCRIBED or a new HELLO), and each publication at most once per subscription.
void check_event_invariants(const std::vector<trace_entry>& trace, std::ostringstream& problems) {
  struct session_subscriptions {
    std::set<wamp::id> live;
    std::set<wamp::id> ended;
    std::map<wamp::id, wamp::id> unsubscribing;  // UNSUBSCRIBE request -> subscription
    std::set<std::pair<wamp::id, wamp::id>> delivered;  // (subscription, publication)
  };
  std::map<std::string, session_subscriptions> sessions;
  for (const auto& e : trace) {
    if (!sent_by_its_sender(e)) continue;
    auto& s = sessions[e.session];
    if (e.dir == direction::to_router) {
      if (std::holds_alternative<wamp::hello>(e.msg)) {
        s = {};  // a new session under the same name
      } else if (const auto* u = std::get_if<wamp::unsubscribe>(&e.msg)) {
        s.unsubscribing[u->request] = u->subscription;
      }
      continue;
    }
    if (const auto* sub = std::get_if<wamp::subscribed>(&e.msg)) {
      s.live.insert(sub->subscription);
      s.ended.erase(sub->subscription);
    } else if (const auto* unsub = std::get_if<wamp::unsubscribed>(&e.msg)) {
      std::optional<wamp::id> id;
      if (const auto it = s.unsubscribing.find(unsub->request); unsub->request != 0 && it != s.unsubscribing.end())
        id = it->second;
      else if (const auto d = unsub->details.find("subscription"); d != unsub->details.end() && d->second.is_number_unsigned())
        id = d->second.get<wamp::id>();  // revoked by the router
      if (id && s.live.erase(*id)) s.ended.insert(*id);
    } else if (const auto* ev = std::get_if<wamp::event>(&e.msg)) {
      if (s.ended.count(ev->subscription)) {
        problems << "#" << e.sequence << " " << e.session << " got an EVENT for subscription " << ev->subscription
                 << " after its UNSUBSCRIBED\n";
      } else if (!s.live.count(ev->subscription)) {
        problems << "#" << e.sequence << " " << e.session << " got an EVENT for subscription " << ev->subscription
                 << ", which it does not hold\n";
      } else if (!s.delivered.insert({ev->subscription, ev->publication}).second) {
        problems << "#" << e.sequence << " " << e.session << " got publication " << ev->publication
                 << " twice on subscription " << ev->subscription << "\n";
      }
    }
  }
}

}  // namespace

std::string_view to_string(explore_fault f) noexcept {
  switch (f) {
    case explore_fault::drop: return "drop";
    case explore_fault::close_before: return "transport loss before";
    case explore_fault::close_after: return "transport loss after";
    case explore_fault::delay_past_timeout: return "delay past the timeout";
    case explore_fault::duplicate: return "duplicate";
  }
  return "?";
}

namespace {

// The one trace line of a message no rule decided on, delayed or sliced by link rules (its
// note says how): it went as sent, unless a byte limit cut the connection in it.
bool shaped_by_link_only(const std::string& note) {
  if (note.find("cut after") != std::string::npos) return false;
  for (const char* effect : {"latency ", "bandwidth ", "sliced into ", "slice skipped"})
    if (note.rfind(effect, 0) == 0) return true;
  return false;
}

}  // namespace

namespace {

// How many times a traced CALL reached the router, by its note: once as sent (delayed or
// sliced by a link, released after a hold, sent before a cut, put in by a rule, or beside
// what a rule injected), twice duplicated, else (dropped, held, replaced, answered, cut
// before, corrupted) not at all.
int times_delivered(const std::string& note) {
  if (note.empty() || note == "released" || note == "close_after" || note == "injected" || shaped_by_link_only(note))
    return 1;
  const auto action = note.substr(0, note.find(','));  // a rule's action, then its link's effect
  if (action == "inject_before" || action == "inject_after") return 1;
  if (action == "duplicate") return 2;
  return 0;
}

// A CANCEL the router must answer at once: skip and killnowait (kill waits for the callee).
bool cancel_answered_at_once(const wamp::message& m) {
  const auto* c = std::get_if<wamp::cancel>(&m);
  if (!c) return false;
  const auto mode = c->options.find("mode");
  return mode != c->options.end() && mode->second.is_string() &&
         (mode->second.get<std::string>() == "skip" || mode->second.get<std::string>() == "killnowait");
}

// A trace line saying that a session's connection went, or was made to go.
bool connection_lost(const trace_entry& e) {
  const auto& n = e.note;
  return n.rfind("close_", 0) == 0 || n.rfind("lost", 0) == 0 || n.rfind("not delivered", 0) == 0 ||
         n.find("cut after") != std::string::npos || std::holds_alternative<wamp::abort>(e.msg);
}

}  // namespace

std::string check_trace_invariants(const std::vector<trace_entry>& trace) {
  // Per session: how many times each CALL reached the router, how many final answers the
  // router sent for it that arrived, and whether it made any at all (arrived or not). A
  // fault rule's note tells what happened to a message.
  struct call_state {
    int delivered = 0;
    int answers = 0;
    bool answered = false;
    std::uint64_t canceled_at = 0;  // the sequence of a CANCEL (skip/killnowait) that reached the router
  };
  std::set<std::string> lost_sessions;  // sessions whose connection went at some point
  std::map<std::pair<std::string, wamp::id>, call_state> calls;
  std::map<std::tuple<std::string, wamp::message_type, wamp::id>, int> request_ids;
  std::ostringstream problems;
  for (const auto& e : trace) {
    if (e.note == note_handler_after_leave) {
      problems << "#" << e.sequence << " " << e.session << ": a handler started after its client left (its stop() or "
               << "leave() had returned), for " << wamp::name_of(e.type()) << "\n";
    }
    if (is_handler_note(e.note)) continue;  // a handler's start, not a message
    const auto request = request_of(e.msg);
    // "released" and "lost: ..." / "not delivered: ..." lines are later records of a message
    // already traced when its session sent it.
    const bool follow_up = e.note == "released" || e.note.rfind("lost", 0) == 0 || e.note.rfind("not delivered", 0) == 0;
    if (e.dir == direction::to_router && request && !follow_up) {
      const auto key = std::tuple{e.session, e.type(), *request};
      if (e.type() != wamp::message_type::cancel && e.type() != wamp::message_type::yield &&
          e.type() != wamp::message_type::error && ++request_ids[key] > 1)
        problems << "#" << e.sequence << " " << e.session << " reused request id " << *request << " for "
                 << wamp::name_of(e.type()) << "\n";
    }
    if (connection_lost(e)) lost_sessions.insert(e.session);
    if (e.dir == direction::to_router && e.type() == wamp::message_type::call) {
      calls[{e.session, *request}].delivered += times_delivered(e.note);
    }
    if (e.dir == direction::to_router && cancel_answered_at_once(e.msg) && times_delivered(e.note) > 0) {
      // A CANCEL overtaking its CALL (held by a rule) finds nothing to cancel.
      if (auto it = calls.find({e.session, *request}); it != calls.end() && it->second.delivered > 0 && !it->second.canceled_at)
        it->second.canceled_at = e.sequence;
    }
    if (e.dir == direction::to_client && is_final_call_answer(e.msg) && sent_by_its_sender(e)) {
      if (auto it = calls.find({e.session, *request}); it != calls.end()) it->second.answered = true;
    }
    // Answers the router made (a rule's own answers or duplicates are the fault, not the router).
    if (e.dir == direction::to_client && is_final_call_answer(e.msg) &&
        (e.note.empty() || e.note == "released" || shaped_by_link_only(e.note))) {
      auto it = calls.find({e.session, *request});
      if (it == calls.end()) {
        problems << "#" << e.sequence << " " << e.session << " got an answer to request " << *request
                 << ", which it never called\n";
      } else if (++it->second.answers > it->second.delivered) {
        problems << "#" << e.sequence << " " << e.session << " got more answers to CALL " << *request
                 << " than the router received it\n";
      }
    }
  }
  // A CALL the router received and whose skip/killnowait CANCEL it received too must have
  // been answered, unless its session's connection went meanwhile.
  for (const auto& [key, c] : calls) {
    if (c.delivered > 0 && c.canceled_at && !c.answered && !lost_sessions.count(key.first)) {
      problems << "#" << c.canceled_at << " " << key.first << ": the router received CALL " << key.second
               << " and its CANCEL, and never answered it\n";
    }
  }
  check_event_invariants(trace, problems);
  return problems.str();
}

std::string explore_report::describe() const {
  std::ostringstream out;
  out << "explore: " << messages << " messages, " << runs << " faulted runs, " << failures.size() << " failing\n";
  if (seed != 0 && !failures.empty()) {
    out << "simulated with seed " << seed << "; replay: " << replay_command(seed, current_test_name()) << "\n";
  }
  for (const auto& f : failures) out << "  " << f.point << ": " << f.what << "\n";
  if (!failures.empty()) out << "trace of the first failing run:\n" << failures.front().trace;
  return out.str();
}

explore_report explore(const explore_scenario& scenario, explore_options options) {
  options.fixture.client.call_timeout = options.timeout;
  options.fixture.client.join_timeout = options.timeout;
  options.fixture.client.leave_timeout = options.timeout;
  const auto run_limit = std::chrono::milliseconds(30'000) + options.timeout * 50;

  explore_report report;
  if (options.fixture.simulation) {
    // One seed for every run (a fresh one per run would make a failing run unrepeatable):
    // the report names it, and WAMP_SIM_SEED replays the whole exploration.
    options.fixture.seed = resolve_seed(options.fixture.seed).value;
    report.seed = options.fixture.seed;
  }
  // One run: a fresh fixture, the fault (if any), the scenario, then the invariants.
  auto run = [&](const std::string& point, const std::optional<std::pair<message_point, explore_fault>>& fault_at)
      -> std::vector<trace_entry> {
    const bool faulted = fault_at.has_value();
    // The learning run must succeed: its clients get generous timeouts, so a loaded machine
    // cannot fail it. Faulted runs use the short ones (a dropped message costs one).
    auto fixture_options = options.fixture;
    if (!faulted) {
      fixture_options.client.call_timeout = std::chrono::seconds(10);
      fixture_options.client.join_timeout = std::chrono::seconds(10);
      fixture_options.client.leave_timeout = std::chrono::seconds(10);
    }
    wamp_fixture f(fixture_options);
    f.check_leaks(false);
    rule_handle rule;
    std::unique_ptr<late_release> late;  // stopped before the rule goes: it releases through it
    std::string what;
    {
      // A run that does not end in time aborts the process, printing the point and the
      // trace: a hang is a bug to see, not a CI job that times out silently.
      detail::watchdog guard(run_limit, [&point, &f, run_limit] {
        std::fprintf(stderr, "explore: the run with %s did not end within %lld ms; trace:\n%s\n", point.c_str(),
                     static_cast<long long>(run_limit.count()), f.trace().format().c_str());
        std::abort();
      });
      if (fault_at) {
        const auto& [p, kind] = *fault_at;
        match m;
        m.type(p.type).session(p.session);
        if (p.dir == direction::to_router) m.to_router(); else m.to_client();
        if (kind == explore_fault::delay_past_timeout) {
          late = std::make_unique<late_release>(f, options.timeout + options.timeout / 2);
          m.where(late->picker(p.nth));
        } else {
          m.nth(p.nth);
        }
        // Optional: a run's timing may differ from the learning run's.
        rule = f.faults().install(m, action_for(kind), point).optional();
        if (late) late->set_rule(&rule);
      }
      try {
        scenario(f);
      } catch (const Error& e) {
        if (!faulted) what = std::string("the scenario failed without a fault: ") + e.what();
      } catch (const std::exception& e) {
        what = std::string("the scenario threw ") + e.what();
      }
      if (late) late->wait_for_release();  // the late message arrives while the clients run
      f.stop_clients();
    }
    late.reset();
    rule.remove();  // releases what is still held (e.g. a GOODBYE): lost, its connection is gone
    auto trace = f.trace().entries();
    for (const auto& leak : f.leaks())
      if (leak.rfind("fault rule never fired", 0) != 0) what += (what.empty() ? "" : "; ") + leak;
    if (auto broken = check_trace_invariants(trace); !broken.empty()) what += (what.empty() ? "" : "; ") + broken;
    if (options.invariant)
      if (auto broken = options.invariant(f); !broken.empty()) what += (what.empty() ? "" : "; ") + broken;
    if (!what.empty()) report.failures.push_back({point, what, f.trace().format()});
    return trace;
  };

  const auto learned = run("no fault (the learning run)", std::nullopt);
  if (!report.failures.empty()) return report;
  const auto points = points_of(learned);
  report.messages = points.size();
  for (std::size_t i = 0; i < points.size(); ++i) {
    for (const auto kind : options.faults) {
      run(std::string(to_string(kind)) + " of " + points[i].describe(i, points.size()), std::pair{points[i], kind});
      ++report.runs;
    }
  }
  return report;
}

}  // namespace autobahn_sync::testing

#include "testing/fault_plan.hpp"

#include <algorithm>
#include <stdexcept>
#include <thread>
#include <utility>

namespace autobahn_sync::testing {

struct rule_handle::state {
  match selector;
  action what;
  std::string name;
  std::size_t passed = 0;  // messages that passed the filters
  std::size_t hits = 0;    // messages acted on
  bool optional = false;
  bool removed = false;
  std::deque<fault_plan::release_fn> held;
};

// ---- match ------------------------------------------------------------------------------

bool match::passes(const observed_message& m) const {
  if (type_ && wamp::type_of(m.msg) != *type_) return false;
  if (dir_ && m.dir != *dir_) return false;
  if (session_ && m.session != *session_) return false;
  if (phase_ && m.phase != *phase_) return false;
  if (uri_ || uri_prefix_) {
    const auto u = uri_of(m.msg);
    if (!u) return false;
    if (uri_ && *u != *uri_) return false;
    if (uri_prefix_ && u->substr(0, uri_prefix_->size()) != *uri_prefix_) return false;
  }
  if (predicate_ && !predicate_(m)) return false;
  return true;
}

bool match::picks(std::size_t count) const {
  if (nth_ != 0) return count == nth_;
  if (every_ != 0) return count % every_ == 0;
  return true;
}

std::string match::describe() const {
  std::string d;
  auto add = [&](std::string part) {
    if (!d.empty()) d += ' ';
    d += part;
  };
  if (type_) add(std::string(wamp::name_of(*type_)));
  if (dir_) add(std::string(to_string(*dir_)));
  if (session_) add("session=" + *session_);
  if (uri_) add("uri=" + *uri_);
  if (uri_prefix_) add("uri^=" + *uri_prefix_);
  if (phase_) add("phase=" + std::string(to_string(*phase_)));
  if (predicate_) add("where(...)");
  if (nth_) add("nth=" + std::to_string(nth_));
  if (every_) add("every=" + std::to_string(every_));
  return d.empty() ? "any message" : d;
}

// ---- actions ----------------------------------------------------------------------------

std::string action::name() const {
  switch (what) {
    case kind::drop: return "drop";
    case kind::duplicate: return "duplicate";
    case kind::corrupt: return "corrupt";
    case kind::truncate: return "truncate";
    case kind::replace: return "replace";
    case kind::hold: return "hold";
    case kind::answer: return "answer";
    case kind::inject_before: return "inject_before";
    case kind::inject_after: return "inject_after";
    case kind::close_before: return "close_before";
    case kind::close_after: return "close_after";
    case kind::close_websocket_before: return "close_websocket " + std::to_string(close_code);
    case kind::close_websocket_after: return "close_websocket_after " + std::to_string(close_code);
    case kind::latency: {
      const auto ms = [](std::chrono::microseconds d) { return std::to_string(d.count() / 1000) + "ms"; };
      return "latency " + ms(delay) + (jitter.count() ? "±" + ms(jitter) : "");
    }
    case kind::bandwidth: return "bandwidth " + std::to_string(bytes) + "B/s";
    case kind::slice: return "slice " + std::to_string(bytes) + "B";
    case kind::close_after_bytes: return "close_after_bytes " + std::to_string(bytes);
    case kind::refuse_rawsocket_handshake: return "refuse_rawsocket_handshake " + std::to_string(handshake_error);
  }
  return "?";
}

bool action::shapes_link() const noexcept {
  return what == kind::latency || what == kind::bandwidth || what == kind::slice || what == kind::close_after_bytes;
}

namespace fault {
namespace {
action simple(action::kind k) { return action{k, nullptr}; }
auto constant(wamp::message msg) {
  return [msg = std::move(msg)](const wamp::message&) { return msg; };
}
}  // namespace

action drop() { return simple(action::kind::drop); }
action duplicate() { return simple(action::kind::duplicate); }
action corrupt() { return simple(action::kind::corrupt); }
action truncate() { return simple(action::kind::truncate); }
action hold() { return simple(action::kind::hold); }
action close_before() { return simple(action::kind::close_before); }
action close_after() { return simple(action::kind::close_after); }
action replace(wamp::message with) { return {action::kind::replace, constant(std::move(with))}; }
action replace(std::function<wamp::message(const wamp::message&)> make) {
  return {action::kind::replace, std::move(make)};
}
action answer(std::function<wamp::message(const wamp::message&)> make) {
  return {action::kind::answer, std::move(make)};
}
action answer_error(std::string error_uri, wamp::list args, wamp::dict kwargs) {
  return answer([=](const wamp::message& request) -> wamp::message {
    wamp::error e;
    e.request_type = wamp::type_of(request);
    e.request = request_of(request).value_or(0);
    e.error_uri = error_uri;
    e.args = args;
    e.kwargs = kwargs;
    return e;
  });
}
action abort_hello(std::string reason) {
  return answer([reason = std::move(reason)](const wamp::message&) -> wamp::message {
    return wamp::abort{{}, reason};
  });
}
action challenge(std::string method, wamp::dict extra) {
  return answer([method = std::move(method), extra = std::move(extra)](const wamp::message&) -> wamp::message {
    return wamp::challenge{method, extra};
  });
}
action reject_authenticate(std::string reason) { return abort_hello(std::move(reason)); }
action deny() { return answer_error("wamp.error.not_authorized", {"denied by a fault rule"}); }
action close_websocket(std::uint16_t code, std::string reason) {
  action a{action::kind::close_websocket_before, nullptr};
  a.close_code = code;
  a.close_reason = std::move(reason);
  return a;
}
action close_websocket_after(std::uint16_t code, std::string reason) {
  action a = close_websocket(code, std::move(reason));
  a.what = action::kind::close_websocket_after;
  return a;
}
action latency(std::chrono::milliseconds base, std::chrono::milliseconds jitter, std::uint64_t seed) {
  action a{action::kind::latency, nullptr};
  a.delay = base;
  a.jitter = jitter;
  a.random = std::make_shared<std::mt19937_64>(seed);
  return a;
}
action bandwidth(std::size_t bytes_per_second) {
  if (bytes_per_second == 0) throw std::invalid_argument("fault::bandwidth needs a rate above 0 bytes per second");
  action a{action::kind::bandwidth, nullptr};
  a.bytes = bytes_per_second;
  return a;
}
action slice(std::size_t max_bytes) {
  if (max_bytes == 0) throw std::invalid_argument("fault::slice needs pieces of at least 1 byte");
  action a{action::kind::slice, nullptr};
  a.bytes = max_bytes;
  return a;
}
action close_after_bytes(std::size_t bytes) {
  action a{action::kind::close_after_bytes, nullptr};
  a.bytes = bytes;
  return a;
}
action refuse_rawsocket_handshake(int error_code) {
  if (error_code < 1 || error_code > 4)
    throw std::invalid_argument("fault::refuse_rawsocket_handshake: RawSocket error codes are 1..4, not " +
                                std::to_string(error_code));
  action a{action::kind::refuse_rawsocket_handshake, nullptr};
  a.handshake_error = error_code;
  return a;
}
action inject_before(wamp::message msg) { return {action::kind::inject_before, constant(std::move(msg))}; }
action inject_after(wamp::message msg) { return {action::kind::inject_after, constant(std::move(msg))}; }
}  // namespace fault

// ---- rule_handle ------------------------------------------------------------------------

rule_handle& rule_handle::operator=(rule_handle&& other) noexcept {
  if (this != &other) {
    remove();
    plan_ = std::move(other.plan_);
    rule_ = std::move(other.rule_);
  }
  return *this;
}

rule_handle::~rule_handle() { remove(); }

namespace {
// Decisions this thread made whose trace line it has not written yet: a rule's answer or
// replacement made on this thread may ask for hits() without waiting for itself.
thread_local std::size_t unsettled_here = 0;
}  // namespace

void fault_plan::wait_until_settled(std::unique_lock<std::mutex>& lock) const {
  // Bounded: a trace line takes microseconds to write; a count is better late than a hang.
  if (unsettled_here == 0) settled_.wait_for(lock, std::chrono::seconds(10), [&] { return unsettled_ == 0; });
}

std::size_t rule_handle::hits() const {
  if (!rule_) return 0;
  std::unique_lock lock(plan_->mutex_);
  plan_->wait_until_settled(lock);
  return rule_->hits;
}

rule_handle& rule_handle::optional() & {
  if (rule_) {
    std::lock_guard lock(plan_->mutex_);
    rule_->optional = true;
  }
  return *this;
}

std::size_t rule_handle::held() const {
  if (!rule_) return 0;
  std::unique_lock lock(plan_->mutex_);
  plan_->wait_until_settled(lock);
  return rule_->held.size();
}

namespace {
std::deque<fault_plan::release_fn> take_held(std::mutex& mutex, std::deque<fault_plan::release_fn>& held) {
  std::lock_guard lock(mutex);
  return std::exchange(held, {});
}
}  // namespace

void rule_handle::release() {
  if (!rule_) return;
  // Released outside the lock: delivery may pass through the plan again.
  for (auto& deliver : take_held(plan_->mutex_, rule_->held)) deliver();
}

void rule_handle::release_reversed() {
  if (!rule_) return;
  auto held = take_held(plan_->mutex_, rule_->held);
  for (auto it = held.rbegin(); it != held.rend(); ++it) (*it)();
}

void rule_handle::remove() {
  if (!rule_) return;
  plan_->remove(rule_);
  release();
  rule_.reset();
  plan_.reset();
}

// ---- fault_plan ----------------------------------------------------------------------------

rule_handle fault_plan::install(match selector, action what, std::string name) {
  auto rule = std::make_shared<rule_handle::state>();
  rule->name = name.empty() ? what.name() + " " + selector.describe() : std::move(name);
  rule->selector = std::move(selector);
  rule->what = std::move(what);
  {
    std::lock_guard lock(mutex_);
    rules_.push_back(rule);
  }
  return rule_handle(shared_from_this(), std::move(rule));
}

void fault_plan::remove(const std::shared_ptr<rule_handle::state>& rule) {
  std::lock_guard lock(mutex_);
  const auto it = std::find(rules_.begin(), rules_.end(), rule);
  if (it == rules_.end()) return;
  if (rule->hits == 0 && !rule->optional) unfired_removed_.push_back(rule->name);
  rules_.erase(it);
}

std::vector<std::string> fault_plan::unfired() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> names = unfired_removed_;
  for (const auto& rule : rules_)
    if (rule->hits == 0 && !rule->optional) names.push_back(rule->name);
  return names;
}

fault_plan::decision fault_plan::decide(const observed_message& m, const std::function<release_fn()>& hold,
                                        rule_set rules) {
  std::shared_ptr<rule_handle::state> acting;
  decision d;
  {
    std::lock_guard lock(mutex_);
    // Every rule counts the messages that pass its filters, even when an earlier rule acts
    // on them: "the 3rd CALL" means the 3rd CALL, whatever other rules did. Link rules act
    // on every message they pick, beside the one rule that decides its fate.
    for (const auto& rule : rules_) {
      const action& a = rule->what;
      if (a.what == action::kind::refuse_rawsocket_handshake) continue;
      const bool slices = a.what == action::kind::slice;
      if ((rules == rule_set::slice_only && !slices) || (rules == rule_set::all_but_slice && slices)) continue;
      if (!rule->selector.passes(m)) continue;
      if (a.shapes_link()) {
        if (!rule->selector.picks(++rule->passed)) continue;
        ++rule->hits;
        link_effect e{a.what, a.delay, a.bytes, rule->name, rule.get()};
        if (a.what == action::kind::latency && a.jitter.count() > 0) {
          // Drawn by hand from the generator's output (whose sequence the standard fixes),
          // not with a distribution (whose algorithm it does not), so a seed repeats anywhere.
          const auto span = static_cast<std::uint64_t>(2 * a.jitter.count() + 1);
          e.delay += std::chrono::microseconds(static_cast<std::int64_t>((*a.random)() % span) - a.jitter.count());
          if (e.delay.count() < 0) e.delay = {};
        }
        d.link.push_back(std::move(e));
        continue;
      }
      if (!rule->selector.picks(++rule->passed) || acting) continue;
      ++rule->hits;
      acting = rule;
      ++unsettled_;
      ++unsettled_here;
      // Held under the same lock that chose the rule: a remove() from another thread then
      // comes either before (the rule does not act) or after (it releases this message).
      if (a.what == action::kind::hold) acting->held.push_back(hold());
    }
  }
  if (!acting) {
    d.steps.push_back({step::kind::deliver, m.msg, {}, 0, true});
    return d;
  }
  // Made before anything that may throw (a rule's make()), so the count always comes down.
  d.unsettled = std::shared_ptr<void>(nullptr, [plan = shared_from_this(), here = std::this_thread::get_id()](void*) {
    if (std::this_thread::get_id() == here) --unsettled_here;
    {
      std::lock_guard lock(plan->mutex_);
      --plan->unsettled_;
    }
    plan->settled_.notify_all();
  });
  d.rule = acting->name;
  d.action = acting->what.name();
  using k = action::kind;
  const action& a = acting->what;
  switch (a.what) {
    case k::drop: break;
    case k::duplicate:
      d.steps.push_back({step::kind::deliver, m.msg, {}, 0, true});
      d.steps.push_back({step::kind::deliver, m.msg, {}, 0, true});
      break;
    case k::corrupt: d.steps.push_back({step::kind::deliver_bad, m.msg, "\xc1\xff not a message"}); break;
    case k::truncate: d.steps.push_back({step::kind::deliver_bad, m.msg, {}}); break;
    case k::replace: d.steps.push_back({step::kind::deliver, a.make(m.msg), {}}); break;
    case k::hold: break;  // held above
    case k::answer: d.steps.push_back({step::kind::send_back, a.make(m.msg), {}}); break;
    case k::inject_before:
      d.steps.push_back({step::kind::deliver, a.make(m.msg), {}});
      d.steps.push_back({step::kind::deliver, m.msg, {}, 0, true});
      break;
    case k::inject_after:
      d.steps.push_back({step::kind::deliver, m.msg, {}, 0, true});
      d.steps.push_back({step::kind::deliver, a.make(m.msg), {}});
      break;
    case k::close_before: d.steps.push_back({step::kind::close, m.msg, {}}); break;
    case k::close_after:
      d.steps.push_back({step::kind::deliver, m.msg, {}, 0, true});
      d.steps.push_back({step::kind::close, m.msg, {}});
      break;
    case k::close_websocket_after:
      d.steps.push_back({step::kind::deliver, m.msg, {}, 0, true});
      [[fallthrough]];
    case k::close_websocket_before:
      d.steps.push_back({step::kind::close_with_code, m.msg, a.close_reason, a.close_code});
      break;
    case k::latency:
    case k::bandwidth:
    case k::slice:
    case k::close_after_bytes:
    case k::refuse_rawsocket_handshake:
      break;  // never the acting rule (see above)
  }
  return d;
}

int fault_plan::rawsocket_handshake_refusal() {
  std::lock_guard lock(mutex_);
  for (const auto& rule : rules_) {
    if (rule->what.what != action::kind::refuse_rawsocket_handshake) continue;
    if (!rule->selector.picks(++rule->passed)) continue;
    ++rule->hits;
    return rule->what.handshake_error;
  }
  return 0;
}

}  // namespace autobahn_sync::testing

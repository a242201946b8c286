#include "testing/fault_plan.hpp"

#include <algorithm>
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
  }
  return "?";
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

std::size_t rule_handle::hits() const {
  if (!rule_) return 0;
  std::lock_guard lock(plan_->mutex_);
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
  std::lock_guard lock(plan_->mutex_);
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

fault_plan::decision fault_plan::decide(const observed_message& m,
                                        const std::function<release_fn()>& hold) {
  std::shared_ptr<rule_handle::state> acting;
  {
    std::lock_guard lock(mutex_);
    // Every rule counts the messages that pass its filters, even when an earlier rule acts
    // on them: "the 3rd CALL" means the 3rd CALL, whatever other rules did.
    for (const auto& rule : rules_) {
      if (!rule->selector.passes(m)) continue;
      if (!rule->selector.picks(++rule->passed) || acting) continue;
      ++rule->hits;
      acting = rule;
    }
  }
  decision d;
  if (!acting) {
    d.steps.push_back({step::kind::deliver, m.msg, {}});
    return d;
  }
  d.rule = acting->name;
  d.action = acting->what.name();
  using k = action::kind;
  const action& a = acting->what;
  switch (a.what) {
    case k::drop: break;
    case k::duplicate:
      d.steps.push_back({step::kind::deliver, m.msg, {}});
      d.steps.push_back({step::kind::deliver, m.msg, {}});
      break;
    case k::corrupt: d.steps.push_back({step::kind::deliver_bad, m.msg, "\xc1\xff not a message"}); break;
    case k::truncate: d.steps.push_back({step::kind::deliver_bad, m.msg, {}}); break;
    case k::replace: d.steps.push_back({step::kind::deliver, a.make(m.msg), {}}); break;
    case k::hold: {
      auto release = hold();
      std::lock_guard lock(mutex_);
      acting->held.push_back(std::move(release));
      break;
    }
    case k::answer: d.steps.push_back({step::kind::send_back, a.make(m.msg), {}}); break;
    case k::inject_before:
      d.steps.push_back({step::kind::deliver, a.make(m.msg), {}});
      d.steps.push_back({step::kind::deliver, m.msg, {}});
      break;
    case k::inject_after:
      d.steps.push_back({step::kind::deliver, m.msg, {}});
      d.steps.push_back({step::kind::deliver, a.make(m.msg), {}});
      break;
    case k::close_before: d.steps.push_back({step::kind::close, m.msg, {}}); break;
    case k::close_after:
      d.steps.push_back({step::kind::deliver, m.msg, {}});
      d.steps.push_back({step::kind::close, m.msg, {}});
      break;
  }
  return d;
}

}  // namespace autobahn_sync::testing

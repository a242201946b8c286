#include "router/broker.hpp"

#include <algorithm>
#include <iterator>

#include "router/realm.hpp"
#include "router/router_core.hpp"
#include "router/uris.hpp"

namespace autobahn_sync::router {
namespace {

bool option_true(const wamp::dict& options, const char* key, bool fallback = false) {
  const auto it = options.find(key);
  return it != options.end() && it->second.is_boolean() ? it->second.get<bool>() : fallback;
}

// The PUBLISH options that restrict who receives the event: lists of session ids, or of
// authids / authroles.
struct receiver_list {
  const char* key;
  bool of_session_ids;
};
constexpr receiver_list receiver_lists[] = {{"exclude", true},          {"eligible", true},
                                            {"exclude_authid", false},  {"eligible_authid", false},
                                            {"exclude_authrole", false}, {"eligible_authrole", false}};

// Why a receiver list of a PUBLISH is malformed, or nothing when they are well formed or
// absent. A malformed one must not be taken as absent: a restriction with a typo would become
// a broadcast.
std::optional<std::string> malformed_receiver_list(const wamp::dict& options) {
  for (const auto& list : receiver_lists) {
    const auto it = options.find(list.key);
    if (it == options.end()) continue;
    const bool ok = it->second.is_array() && std::all_of(it->second.begin(), it->second.end(), [&](const wamp::value& v) {
                      return list.of_session_ids ? wamp::as_unsigned(v).has_value() : v.is_string();
                    });
    if (!ok) {
      return "options." + std::string(list.key) + " must be a list of " + (list.of_session_ids ? "session ids" : "strings");
    }
  }
  return std::nullopt;
}

// A black/white list option: the values given, or nullopt when absent.
template <class T>
std::optional<std::vector<T>> list_option(const wamp::dict& options, const char* key) {
  const auto it = options.find(key);
  if (it == options.end() || !it->second.is_array()) return std::nullopt;
  std::vector<T> out;
  for (const auto& v : it->second) {
    if constexpr (std::is_same_v<T, wamp::id>) {
      if (const auto id = wamp::as_unsigned(v)) out.push_back(*id);
    } else {
      if (v.is_string()) out.push_back(v.get<std::string>());
    }
  }
  return out;
}

template <class T>
bool contains(const std::vector<T>& v, const T& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

std::optional<wamp::match_policy> match_of(const wamp::dict& options) {
  const auto it = options.find("match");
  if (it == options.end()) return wamp::match_policy::exact;
  if (!it->second.is_string()) return std::nullopt;
  return wamp::parse_match_policy(it->second.get<std::string>());
}

}  // namespace

void broker::subscribe(session& s, wamp::subscribe&& msg) {
  const auto policy = match_of(msg.options);
  if (!policy) {
    return realm::send_error(s, wamp::message_type::subscribe, msg.request, uris::invalid_argument,
                             {"options.match must be exact, prefix or wildcard"});
  }
  if (!realm_.check_uri(s, wamp::message_type::subscribe, msg.request, msg.topic, *policy)) return;
  if (!realm_.authorize(s, action::subscribe, msg.topic).allowed) {
    return realm::send_error(s, wamp::message_type::subscribe, msg.request, uris::not_authorized,
                             {"not authorized to subscribe to " + msg.topic});
  }
  // A repeated SUBSCRIBE gets the subscription it has, at the limit too.
  const auto existing = by_key_.find({*policy, msg.topic});
  const bool subscribed_already = existing != by_key_.end() && contains(existing->second->subscribers, s.id);
  if (!subscribed_already && s.subscriptions.size() >= realm_.core().limits().max_subscriptions_per_session) {
    realm_.core().log_limit("max_subscriptions_per_session", s,
                            "SUBSCRIBE " + msg.topic + " refused with " + uris::limit_reached);
    return realm::send_error(s, wamp::message_type::subscribe, msg.request, uris::limit_reached,
                             {"this session holds as many subscriptions as the router allows"});
  }
  auto& slot = by_key_[{*policy, msg.topic}];
  bool created = false;
  if (!slot) {
    slot = std::make_unique<subscription_record>();
    slot->id = realm_.core().new_global_id();
    slot->uri = msg.topic;
    slot->match = *policy;
    slot->created = realm_.core().wall_iso8601();
    by_id_[slot->id] = slot.get();
    if (*policy != wamp::match_policy::exact) patterns_.push_back(slot.get());
    created = true;
  }
  subscription_record& sub = *slot;
  const bool already = contains(sub.subscribers, s.id);
  if (!already) {
    sub.subscribers.push_back(s.id);
    s.subscriptions.insert(sub.id);
  }
  s.send(wamp::subscribed{msg.request, sub.id});
  if (is_meta(sub)) return;
  if (created) publish_internal("wamp.subscription.on_create", {s.id, wamp::value(wamp::dict{{"id", sub.id}, {"uri", sub.uri}, {"match", wamp::to_string(sub.match)}, {"created", sub.created}})});
  if (!already) publish_internal("wamp.subscription.on_subscribe", {s.id, sub.id});
}

void broker::unsubscribe(session& s, const wamp::unsubscribe& msg) {
  const auto it = by_id_.find(msg.subscription);
  if (it == by_id_.end() || !contains(it->second->subscribers, s.id)) {
    return realm::send_error(s, wamp::message_type::unsubscribe, msg.request, uris::no_such_subscription,
                             {"no subscription " + std::to_string(msg.subscription)});
  }
  subscription_record& sub = *it->second;
  sub.subscribers.erase(std::find(sub.subscribers.begin(), sub.subscribers.end(), s.id));
  s.subscriptions.erase(sub.id);
  s.send(wamp::unsubscribed{msg.request, {}});
  const wamp::id id = sub.id;
  const bool told = !is_meta(sub);
  if (told) publish_internal("wamp.subscription.on_unsubscribe", {s.id, id});
  if (sub.subscribers.empty()) {
    erase(sub);
    if (told) publish_internal("wamp.subscription.on_delete", {s.id, id});
  }
}

void broker::remove_session(session& s) {
  // The same meta events as an UNSUBSCRIBE's (as Crossbar.io does): a watcher keeping count of
  // a topic's subscribers must hear of those that went away without unsubscribing.
  // All of them are removed before the first is told, so that the leaving session hears
  // nothing of its own leave.
  std::vector<std::pair<wamp::id, bool>> removed;  // subscription, deleted
  for (const wamp::id id : s.subscriptions) {
    const auto it = by_id_.find(id);
    if (it == by_id_.end()) continue;
    subscription_record& sub = *it->second;
    sub.subscribers.erase(std::remove(sub.subscribers.begin(), sub.subscribers.end(), s.id), sub.subscribers.end());
    const bool deleted = sub.subscribers.empty();
    const bool told = !is_meta(sub);
    if (deleted) erase(sub);
    if (told) removed.emplace_back(id, deleted);
  }
  s.subscriptions.clear();
  for (const auto& [id, deleted] : removed) {
    publish_internal("wamp.subscription.on_unsubscribe", {s.id, id});
    if (deleted) publish_internal("wamp.subscription.on_delete", {s.id, id});
  }
}

bool broker::is_meta(const subscription_record& sub) { return wamp::is_reserved_uri(sub.uri); }

void broker::erase(subscription_record& sub) {
  patterns_.erase(std::remove(patterns_.begin(), patterns_.end(), &sub), patterns_.end());
  by_id_.erase(sub.id);
  by_key_.erase({sub.match, sub.uri});  // destroys sub
}

void broker::publish(session& s, wamp::publish&& msg) {
  const bool acknowledge = option_true(msg.options, "acknowledge");
  const bool valid = wamp::is_valid_uri(msg.topic, realm_.config().uri_rules, wamp::match_policy::exact);
  if (!valid || wamp::is_reserved_uri(msg.topic)) {
    if (acknowledge) {
      realm::send_error(s, wamp::message_type::publish, msg.request, uris::invalid_uri,
                        {valid ? "the wamp. namespace is reserved for the router: " + msg.topic
                               : "invalid URI: " + msg.topic});
    }
    return;
  }
  if (const auto why = malformed_receiver_list(msg.options)) {
    // Not delivered to anyone: the publisher meant to restrict who gets it.
    if (acknowledge) realm::send_error(s, wamp::message_type::publish, msg.request, uris::invalid_argument, {*why});
    return;
  }
  const auto verdict = realm_.authorize(s, action::publish, msg.topic);
  if (!verdict.allowed) {
    if (acknowledge) {
      realm::send_error(s, wamp::message_type::publish, msg.request, uris::not_authorized,
                        {"not authorized to publish to " + msg.topic});
    }
    return;
  }
  const wamp::id publication = realm_.core().new_global_id();
  wamp::dict details;
  if (option_true(msg.options, "disclose_me") || verdict.disclose_publisher) {
    details["publisher"] = s.id;
    details["publisher_authid"] = s.authid;
    details["publisher_authrole"] = s.authrole;
  }
  deliver(msg.topic, publication, details, msg.args, msg.kwargs, &s, msg.options);
  // An event meant for some receivers only is not kept: wamp.subscription.get_events would
  // hand it to anyone allowed to call it.
  const bool restricted = std::any_of(std::begin(receiver_lists), std::end(receiver_lists),
                                      [&](const receiver_list& list) { return msg.options.count(list.key) > 0; });
  if (!restricted) store(msg.topic, publication, details, msg.args, msg.kwargs);
  if (acknowledge) s.send(wamp::published{msg.request, publication});
}

void broker::publish_internal(const std::string& topic, wamp::list args, wamp::dict kwargs) {
  if (by_id_.empty() || !meta_events_) return;
  deliver(topic, realm_.core().new_global_id(), {}, args, kwargs, nullptr, {});
}

void broker::deliver(const std::string& topic, wamp::id publication, const wamp::dict& details,
                     const wamp::list& args, const wamp::dict& kwargs, const session* publisher,
                     const wamp::dict& options) {
  const bool exclude_me = option_true(options, "exclude_me", true);
  const auto exclude = list_option<wamp::id>(options, "exclude");
  const auto exclude_authid = list_option<std::string>(options, "exclude_authid");
  const auto exclude_authrole = list_option<std::string>(options, "exclude_authrole");
  const auto eligible = list_option<wamp::id>(options, "eligible");
  const auto eligible_authid = list_option<std::string>(options, "eligible_authid");
  const auto eligible_authrole = list_option<std::string>(options, "eligible_authrole");

  for (const subscription_record* sub : matching(topic)) {
    wamp::dict event_details = details;
    if (sub->match != wamp::match_policy::exact) event_details["topic"] = topic;
    for (const wamp::id id : sub->subscribers) {
      if (publisher && exclude_me && id == publisher->id) continue;
      if (exclude && contains(*exclude, id)) continue;
      if (eligible && !contains(*eligible, id)) continue;
      const session* receiver = realm_.core().find_session(id);
      if (!receiver) continue;
      if (exclude_authid && contains(*exclude_authid, receiver->authid)) continue;
      if (exclude_authrole && contains(*exclude_authrole, receiver->authrole)) continue;
      if (eligible_authid && !contains(*eligible_authid, receiver->authid)) continue;
      if (eligible_authrole && !contains(*eligible_authrole, receiver->authrole)) continue;
      receiver->send(wamp::event{sub->id, publication, event_details, args, kwargs});
    }
  }
}

void broker::store(const std::string& topic, wamp::id publication, const wamp::dict& details,
                   const wamp::list& args, const wamp::dict& kwargs) {
  const auto& rules = realm_.config().history;
  for (std::size_t rule = 0; rule < rules.size(); ++rule) {
    const auto& h = rules[rule];
    if (!wamp::uri_matches(h.uri, h.match, topic) || h.limit == 0) continue;
    if (history_.size() < rules.size()) history_.resize(rules.size());
    auto& events = history_[rule];
    events.push_back({publication, topic, details, args, kwargs, realm_.core().wall_ms()});
    while (events.size() > h.limit) events.pop_front();
    return;
  }
}

const subscription_record* broker::find(wamp::id id) const {
  const auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

const subscription_record* broker::lookup(const std::string& uri, wamp::match_policy match) const {
  const auto it = by_key_.find({match, uri});
  return it == by_key_.end() ? nullptr : it->second.get();
}

std::vector<const subscription_record*> broker::matching(const std::string& topic) const {
  std::vector<const subscription_record*> out;
  if (const auto* exact = lookup(topic, wamp::match_policy::exact)) out.push_back(exact);
  // Pattern subscriptions are few in practice; a scan keeps this simple.
  for (const auto* sub : patterns_) {
    if (wamp::uri_matches(sub->uri, sub->match, topic)) out.push_back(sub);
  }
  return out;
}

std::vector<const subscription_record*> broker::all() const {
  std::vector<const subscription_record*> out;
  for (const auto& [k, sub] : by_key_) out.push_back(sub.get());
  return out;
}

std::vector<stored_event> broker::history(const subscription_record& sub, std::size_t limit) const {
  std::vector<stored_event> out;
  for (const auto& events : history_) {
    std::copy_if(events.begin(), events.end(), std::back_inserter(out),
                 [&](const stored_event& e) { return wamp::uri_matches(sub.uri, sub.match, e.topic); });
  }
  std::stable_sort(out.begin(), out.end(), [](const stored_event& a, const stored_event& b) {
    return a.timestamp_ms < b.timestamp_ms;
  });
  if (out.size() > limit) out.erase(out.begin(), out.end() - static_cast<std::ptrdiff_t>(limit));
  return out;
}

}  // namespace autobahn_sync::router

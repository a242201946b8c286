// The broker of one realm: subscriptions (exact, prefix, wildcard) and publication routing,
// with publisher exclusion, black/white listing, publisher disclosure and event history.
// Sans-I/O: it answers through the sessions' sinks.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "router/session.hpp"
#include "wamp/uri.hpp"

namespace autobahn_sync::router {

class realm;

struct subscription_record {
  wamp::id id = 0;
  std::string uri;
  wamp::match_policy match = wamp::match_policy::exact;
  std::vector<wamp::id> subscribers;  // in subscription order
  std::string created;  // when, as the meta API says it: ISO 8601 in UTC (wall_iso8601)
};

/// One stored event of a topic with history.
struct stored_event {
  wamp::id publication = 0;
  std::string topic;
  wamp::dict details;
  wamp::list args;
  wamp::dict kwargs;
  std::int64_t timestamp_ms = 0;
};

class broker {
 public:
  explicit broker(realm& owner) : realm_(owner) {}

  void subscribe(session& s, wamp::subscribe&& msg);
  void unsubscribe(session& s, const wamp::unsubscribe& msg);
  void publish(session& s, wamp::publish&& msg);
  /// Publishes from the router itself (meta events): no acknowledgement, no authorization.
  void publish_internal(const std::string& topic, wamp::list args, wamp::dict kwargs = {});
  /// Removes a leaving session from every subscription.
  void remove_session(session& s);
  /// The realm is going away with all its sessions: no more meta events (each leave would
  /// tell every session still there, just before its own GOODBYE).
  void stop_meta_events() noexcept { meta_events_ = false; }

  std::size_t subscription_count() const noexcept { return by_id_.size(); }
  const subscription_record* find(wamp::id id) const;
  const subscription_record* lookup(const std::string& uri, wamp::match_policy match) const;
  /// Subscriptions that match a concrete topic.
  std::vector<const subscription_record*> matching(const std::string& topic) const;
  std::vector<const subscription_record*> all() const;
  /// Stored events of the topics a subscription covers, newest last (at most `limit`).
  std::vector<stored_event> history(const subscription_record& sub, std::size_t limit) const;

 private:
  using key = std::pair<wamp::match_policy, std::string>;
  void deliver(const std::string& topic, wamp::id publication, const wamp::dict& details,
               const wamp::list& args, const wamp::dict& kwargs, const session* publisher,
               const wamp::dict& options);
  void store(const std::string& topic, wamp::id publication, const wamp::dict& details,
             const wamp::list& args, const wamp::dict& kwargs);

  // Subscriptions to the router's own wamp.* topics (meta events) raise no subscription meta
  // events themselves, as in Crossbar.io: watchers hear of the application's topics only.
  static bool is_meta(const subscription_record& sub);
  void erase(subscription_record& sub);

  realm& realm_;
  bool meta_events_ = true;
  std::map<key, std::unique_ptr<subscription_record>> by_key_;
  std::unordered_map<wamp::id, subscription_record*> by_id_;
  std::vector<subscription_record*> patterns_;  // prefix and wildcard subscriptions
  // By history rule (realm_config::history), each holding the last `limit` events of all the
  // topics it covers: memory is bounded by the configuration, not by how many topics there are.
  std::vector<std::deque<stored_event>> history_;
};

}  // namespace autobahn_sync::router

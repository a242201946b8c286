// Router configuration as plain values: realms, their roles and permissions, and the users
// of the built-in authenticator. Built in code by tests, or read from JSON (the standalone
// router's config file; a Crossbar config maps onto the same structures).
//
// Defaults favour tests: a realm with no roles lets every session do everything, and admits
// anonymous sessions with the role "anonymous".
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "wamp/uri.hpp"
#include "wamp/value.hpp"

namespace autobahn_sync::router {

/// The four actions authorization decides on.
enum class action { call, register_, publish, subscribe };
std::string_view to_string(action a) noexcept;

/// Allows some actions on the URIs a pattern matches.
struct permission {
  std::string uri;  // the pattern; "" with prefix matching means every URI
  wamp::match_policy match = wamp::match_policy::exact;
  bool allow_call = false;
  bool allow_register = false;
  bool allow_publish = false;
  bool allow_subscribe = false;
  bool disclose_caller = false;     // callees see the caller's identity
  bool disclose_publisher = false;  // subscribers see the publisher's identity

  bool allows(action a) const noexcept;
  /// A permission allowing all four actions on every URI.
  static permission allow_all();
};

struct role {
  std::string name;
  std::vector<permission> permissions;
};

/// A user of the built-in authenticator.
struct user {
  std::string authid;
  std::string role;
  std::string method;  // "ticket", "wampcra" or "cryptosign"
  std::string secret;  // ticket, or wampcra secret
  // wampcra with a salted secret: the key is PBKDF2(secret, salt, iterations, keylen).
  std::optional<std::string> salt;
  int iterations = 1000;
  int keylen = 32;
  std::vector<std::string> public_keys;  // cryptosign: Ed25519 public keys, hex
  /// Only for this realm (transport-level users, as in Crossbar); empty: any realm.
  std::string realm;
  /// wampcra as Crossbar stores it: `secret` already is the derived key; the salt and its
  /// parameters are only sent to the client, which derives the same key from its password.
  bool secret_is_derived_key = false;
};

/// Authentication accepted on one listener or WebSocket path, overriding the realm's own
/// (Crossbar's per-transport `auth`): who may join through it, and how.
struct transport_auth {
  bool allow_anonymous = false;
  std::string anonymous_role = "anonymous";
  std::vector<user> users;
  /// Anonymous sessions only for this realm; empty: any realm.
  std::string anonymous_realm;
};

/// Keep the last `limit` events published to topics matching `uri` (served by
/// wamp.subscription.get_events).
struct event_history {
  std::string uri;
  wamp::match_policy match = wamp::match_policy::exact;
  std::size_t limit = 10;
};

struct realm_config {
  std::string name;
  /// Empty: every session may do everything (a convenient test realm).
  std::vector<role> roles;
  bool allow_anonymous = true;
  std::string anonymous_role = "anonymous";
  std::vector<user> users;
  std::vector<event_history> history;
  /// URI rules for every URI sessions send.
  wamp::uri_rules uri_rules = wamp::uri_rules::loose;

  const role* find_role(std::string_view name) const noexcept;
  const user* find_user(std::string_view authid) const noexcept;
};

/// One WebSocket path of a listener and the authentication of the clients that come
/// through it (null: the realms' own).
struct listener_path {
  std::string path;
  std::shared_ptr<const transport_auth> auth;
  /// Served whatever path the client asks for (`path` is then only the one announced), as
  /// Crossbar.io's top-level `websocket` transport does.
  bool any_path = false;
};

/// A listening endpoint of the standalone router.
struct listener_config {
  std::string type;  // "websocket" or "rawsocket"
  std::string host = "127.0.0.1";
  unsigned short port = 8080;
  std::string path = "/ws";  // websocket only, when `paths` is empty
  /// WebSocket: several paths, each with its own authentication (Crossbar's web transport).
  /// When non-empty it replaces `path`.
  std::vector<listener_path> paths;
  /// RawSocket: the listener's own authentication (null: the realms').
  std::shared_ptr<const transport_auth> auth;
};

struct router_config {
  std::vector<realm_config> realms;
  std::vector<listener_config> listeners;
  std::uint64_t seed = 0;  // 0: ids from the OS's entropy
};

/// Bad configuration: says which key is wrong.
class config_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Throws config_error (naming `where`) when two of `users` could both be the one a HELLO
/// names: the same authid and method, or the same cryptosign public key (hex, any case),
/// for realms that overlap (a user without a realm is for every realm).
void check_unambiguous_users(const std::vector<user>& users, const std::string& where);

/// Reads the router's own JSON format (docs/router.md). Throws config_error.
router_config router_config_from_json(const wamp::value& json);
realm_config realm_config_from_json(const wamp::value& json);

}  // namespace autobahn_sync::router

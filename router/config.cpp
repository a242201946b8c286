#include "router/config.hpp"

#include <algorithm>
#include <cctype>
#include <limits>
#include <map>

namespace autobahn_sync::router {

std::string_view to_string(action a) noexcept {
  switch (a) {
    case action::call: return "call";
    case action::register_: return "register";
    case action::publish: return "publish";
    case action::subscribe: return "subscribe";
  }
  return "call";
}

bool permission::allows(action a) const noexcept {
  switch (a) {
    case action::call: return allow_call;
    case action::register_: return allow_register;
    case action::publish: return allow_publish;
    case action::subscribe: return allow_subscribe;
  }
  return false;
}

permission permission::allow_all() {
  permission p;
  p.uri = "";
  p.match = wamp::match_policy::prefix;
  p.allow_call = p.allow_register = p.allow_publish = p.allow_subscribe = true;
  return p;
}

const role* realm_config::find_role(std::string_view name) const noexcept {
  const auto it = std::find_if(roles.begin(), roles.end(), [&](const role& r) { return r.name == name; });
  return it == roles.end() ? nullptr : &*it;
}

const user* realm_config::find_user(std::string_view authid) const noexcept {
  const auto it = std::find_if(users.begin(), users.end(), [&](const user& u) { return u.authid == authid; });
  return it == users.end() ? nullptr : &*it;
}

namespace {

// Small typed accessors that name the offending key in their errors.

// A misspelt key must not pass for an absent one: "rolse" would leave a realm without roles,
// which lets every session do everything.
void require_known_keys(const wamp::value& object, std::initializer_list<std::string_view> known,
                        const std::string& where) {
  if (!object.is_object()) throw config_error(where + ": must be an object");
  for (const auto& [key, value] : object.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end())
      throw config_error(where + ": unknown key \"" + key + "\"");
  }
}

std::string string_at(const wamp::value& object, const char* key, const std::string& where,
                      std::optional<std::string> fallback = std::nullopt) {
  if (!object.contains(key)) {
    if (fallback) return *fallback;
    throw config_error(where + ": missing \"" + key + "\"");
  }
  const auto& v = object.at(key);
  if (!v.is_string()) throw config_error(where + "." + key + ": must be a string");
  return v.get<std::string>();
}

bool bool_at(const wamp::value& object, const char* key, const std::string& where, bool fallback) {
  if (!object.contains(key)) return fallback;
  const auto& v = object.at(key);
  if (!v.is_boolean()) throw config_error(where + "." + key + ": must be true or false");
  return v.get<bool>();
}

long long int_at(const wamp::value& object, const char* key, const std::string& where, long long fallback,
                 long long min, long long max) {
  if (!object.contains(key)) return fallback;
  const auto& v = object.at(key);
  if (!v.is_number_integer() || v.get<long long>() < min || v.get<long long>() > max)
    throw config_error(where + "." + key + ": must be an integer in " + std::to_string(min) + ".." +
                       std::to_string(max));
  return v.get<long long>();
}

wamp::match_policy match_at(const wamp::value& object, const std::string& where) {
  const auto text = string_at(object, "match", where, "exact");
  const auto policy = wamp::parse_match_policy(text);
  if (!policy) throw config_error(where + ".match: must be exact, prefix or wildcard, not \"" + text + "\"");
  return *policy;
}

const wamp::list& list_at(const wamp::value& object, const char* key, const std::string& where) {
  static const wamp::list empty;
  if (!object.contains(key)) return empty;
  const auto& v = object.at(key);
  if (!v.is_array()) throw config_error(where + "." + key + ": must be a list");
  return v.get_ref<const wamp::list&>();
}

permission permission_from_json(const wamp::value& j, const std::string& where) {
  require_known_keys(j, {"uri", "match", "allow", "disclose"}, where);
  permission p;
  p.uri = string_at(j, "uri", where);
  p.match = match_at(j, where);
  if (!wamp::is_valid_uri(p.uri, wamp::uri_rules::loose, p.match) && !(p.uri.empty() && p.match == wamp::match_policy::prefix))
    throw config_error(where + ".uri: \"" + p.uri + "\" is not a valid " +
                       std::string(wamp::to_string(p.match)) + " URI pattern");
  if (j.contains("allow")) {
    const auto& allow = j.at("allow");
    const auto w = where + ".allow";
    require_known_keys(allow, {"call", "register", "publish", "subscribe"}, w);
    p.allow_call = bool_at(allow, "call", w, false);
    p.allow_register = bool_at(allow, "register", w, false);
    p.allow_publish = bool_at(allow, "publish", w, false);
    p.allow_subscribe = bool_at(allow, "subscribe", w, false);
  }
  if (j.contains("disclose")) {
    const auto& disclose = j.at("disclose");
    require_known_keys(disclose, {"caller", "publisher"}, where + ".disclose");
    p.disclose_caller = bool_at(disclose, "caller", where + ".disclose", false);
    p.disclose_publisher = bool_at(disclose, "publisher", where + ".disclose", false);
  }
  return p;
}

}  // namespace

void check_unambiguous_users(const std::vector<user>& users, const std::string& where) {
  auto lower = [](std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
    return text;
  };
  auto overlap = [](const user& a, const user& b) { return a.realm.empty() || b.realm.empty() || a.realm == b.realm; };
  // The users seen so far by method and authid, and by cryptosign key (in lower case).
  std::map<std::pair<std::string, std::string>, std::vector<const user*>> by_name;
  std::map<std::string, std::vector<const user*>> by_key;
  for (const user& u : users) {
    auto& same_name = by_name[{u.method, u.authid}];
    for (const user* other : same_name)
      if (overlap(u, *other)) throw config_error(where + ": \"" + u.authid + "\" is given twice for " + u.method);
    same_name.push_back(&u);
    if (u.method != "cryptosign") continue;
    for (const auto& key : u.public_keys) {
      auto& same_key = by_key[lower(key)];
      for (const user* other : same_key)
        if (other != &u && overlap(u, *other))
          throw config_error(where + ": the public key " + key + " is given to both \"" + other->authid + "\" and \"" +
                             u.authid + "\" (which of them would join?)");
      same_key.push_back(&u);
    }
  }
}

realm_config realm_config_from_json(const wamp::value& j) {
  if (!j.is_object()) throw config_error("realm: must be an object");
  realm_config r;
  r.name = string_at(j, "name", "realm");
  const std::string where = "realm " + r.name;
  require_known_keys(j, {"name", "anonymous", "anonymous_role", "uri_rules", "roles", "users", "event_history"}, where);
  if (!wamp::is_valid_uri(r.name)) throw config_error(where + ": the name is not a valid URI");
  r.allow_anonymous = bool_at(j, "anonymous", where, true);
  r.anonymous_role = string_at(j, "anonymous_role", where, "anonymous");
  const auto& roles = list_at(j, "roles", where);
  for (std::size_t i = 0; i < roles.size(); ++i) {
    const auto w = where + ".roles[" + std::to_string(i) + "]";
    require_known_keys(roles[i], {"name", "permissions"}, w);
    role ro;
    ro.name = string_at(roles[i], "name", w);
    if (r.find_role(ro.name)) throw config_error(w + ".name: the role \"" + ro.name + "\" is defined twice");
    const auto& perms = list_at(roles[i], "permissions", w);
    for (std::size_t k = 0; k < perms.size(); ++k)
      ro.permissions.push_back(permission_from_json(perms[k], w + ".permissions[" + std::to_string(k) + "]"));
    r.roles.push_back(std::move(ro));
  }
  const auto& users = list_at(j, "users", where);
  for (std::size_t i = 0; i < users.size(); ++i) {
    const auto w = where + ".users[" + std::to_string(i) + "]";
    require_known_keys(users[i], {"authid", "role", "method", "secret", "salt", "iterations", "keylen", "public_keys"}, w);
    user u;
    u.authid = string_at(users[i], "authid", w);
    u.role = string_at(users[i], "role", w);
    if (!r.roles.empty() && !r.find_role(u.role))
      throw config_error(w + ".role: the realm has no role \"" + u.role + "\"");
    u.method = string_at(users[i], "method", w);
    if (u.method != "ticket" && u.method != "wampcra" && u.method != "cryptosign")
      throw config_error(w + ".method: must be ticket, wampcra or cryptosign, not \"" + u.method + "\"");
    u.secret = string_at(users[i], "secret", w, "");
    if (users[i].contains("salt")) u.salt = string_at(users[i], "salt", w);
    u.iterations = static_cast<int>(int_at(users[i], "iterations", w, 1000, 1, 10'000'000));
    u.keylen = static_cast<int>(int_at(users[i], "keylen", w, 32, 1, 1024));
    for (const auto& key : list_at(users[i], "public_keys", w)) {
      if (!key.is_string()) throw config_error(w + ".public_keys: must be strings");
      u.public_keys.push_back(key.get<std::string>());
    }
    if ((u.method == "ticket" || u.method == "wampcra") && u.secret.empty())
      throw config_error(w + ".secret: required for " + u.method);
    if (u.method == "cryptosign" && u.public_keys.empty())
      throw config_error(w + ".public_keys: required for cryptosign");
    r.users.push_back(std::move(u));
  }
  check_unambiguous_users(r.users, where + ".users");
  const auto& history = list_at(j, "event_history", where);
  for (std::size_t i = 0; i < history.size(); ++i) {
    const auto w = where + ".event_history[" + std::to_string(i) + "]";
    require_known_keys(history[i], {"uri", "match", "limit"}, w);
    event_history h;
    h.uri = string_at(history[i], "uri", w);
    h.match = match_at(history[i], w);
    if (!wamp::is_valid_uri(h.uri, wamp::uri_rules::loose, h.match))
      throw config_error(w + ".uri: \"" + h.uri + "\" is not a valid " + std::string(wamp::to_string(h.match)) +
                         " URI pattern");
    h.limit = static_cast<std::size_t>(int_at(history[i], "limit", w, 10, 0, 1'000'000));
    r.history.push_back(std::move(h));
  }
  const auto rules = string_at(j, "uri_rules", where, "loose");
  if (rules != "loose" && rules != "strict") throw config_error(where + ".uri_rules: must be loose or strict");
  r.uri_rules = rules == "strict" ? wamp::uri_rules::strict : wamp::uri_rules::loose;
  if (r.allow_anonymous && !r.roles.empty() && !r.find_role(r.anonymous_role))
    throw config_error(where + ".anonymous_role: the realm has no role \"" + r.anonymous_role +
                       "\" (set \"anonymous\": false to refuse anonymous sessions)");
  return r;
}

router_config router_config_from_json(const wamp::value& j) {
  if (!j.is_object()) throw config_error("config: must be a JSON object");
  router_config c;
  for (const auto& realm : list_at(j, "realms", "config")) {
    c.realms.push_back(realm_config_from_json(realm));
    const auto& name = c.realms.back().name;
    if (std::count_if(c.realms.begin(), c.realms.end(), [&](const realm_config& r) { return r.name == name; }) > 1)
      throw config_error("config.realms: the realm \"" + name + "\" is defined twice");
  }
  const auto& listeners = list_at(j, "listeners", "config");
  for (std::size_t i = 0; i < listeners.size(); ++i) {
    const auto w = "config.listeners[" + std::to_string(i) + "]";
    require_known_keys(listeners[i], {"type", "host", "port", "path"}, w);
    listener_config l;
    l.type = string_at(listeners[i], "type", w);
    if (l.type != "websocket" && l.type != "rawsocket")
      throw config_error(w + ".type: must be websocket or rawsocket, not \"" + l.type + "\"");
    l.host = string_at(listeners[i], "host", w, "127.0.0.1");
    l.port = static_cast<unsigned short>(int_at(listeners[i], "port", w, 8080, 0, 65535));
    if (l.type == "rawsocket" && listeners[i].contains("path"))
      throw config_error(w + ".path: a rawsocket listener has no path (only websocket ones do)");
    l.path = string_at(listeners[i], "path", w, "/ws");
    if (l.path.empty() || l.path.front() != '/') throw config_error(w + ".path: must start with /, not \"" + l.path + "\"");
    c.listeners.push_back(std::move(l));
  }
  c.seed = static_cast<std::uint64_t>(int_at(j, "seed", "config", 0, 0, std::numeric_limits<long long>::max()));
  for (const auto& [key, value] : j.items()) {
    if (key != "realms" && key != "listeners" && key != "seed")
      throw config_error("config: unknown key \"" + key + "\"");
  }
  return c;
}

}  // namespace autobahn_sync::router

#include "router/crossbar_config.hpp"

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <set>

namespace autobahn_sync::router {
namespace {

// Every error and log line names the key by its path in the file, e.g.
// "workers[0].transports[1].paths.ws.auth.ticket.type".
using key_path = std::string;

std::string in_quotes(const std::string& s) { return "\"" + s + "\""; }

const wamp::value& object_at(const wamp::value& parent, const char* key, const key_path& where) {
  static const wamp::value empty = wamp::value::object();
  if (!parent.contains(key)) return empty;
  const auto& v = parent.at(key);
  if (!v.is_object()) throw config_error(where + "." + key + ": must be an object");
  return v;
}

const wamp::list& list_at(const wamp::value& parent, const char* key, const key_path& where) {
  static const wamp::list empty;
  if (!parent.contains(key)) return empty;
  const auto& v = parent.at(key);
  if (!v.is_array()) throw config_error(where + "." + key + ": must be a list");
  return v.get_ref<const wamp::list&>();
}

void require_object(const wamp::value& v, const key_path& where) {
  if (!v.is_object()) throw config_error(where + ": must be an object");
}

std::optional<std::string> optional_string(const wamp::value& parent, const char* key, const key_path& where) {
  if (!parent.contains(key)) return std::nullopt;
  const auto& v = parent.at(key);
  if (!v.is_string()) throw config_error(where + "." + key + ": must be a string");
  return v.get<std::string>();
}

std::string string_at(const wamp::value& parent, const char* key, const key_path& where) {
  auto s = optional_string(parent, key, where);
  if (!s) throw config_error(where + ": missing " + in_quotes(key));
  return *s;
}

bool bool_at(const wamp::value& parent, const char* key, const key_path& where) {
  if (!parent.contains(key)) return false;
  const auto& v = parent.at(key);
  if (!v.is_boolean()) throw config_error(where + "." + key + ": must be true or false");
  return v.get<bool>();
}

long long int_at(const wamp::value& parent, const char* key, const key_path& where, long long fallback,
                 long long min, long long max) {
  if (!parent.contains(key)) return fallback;
  const auto& v = parent.at(key);
  if (!v.is_number_integer() || v.get<long long>() < min || v.get<long long>() > max)
    throw config_error(where + "." + key + ": must be an integer in " + std::to_string(min) + ".." +
                       std::to_string(max));
  return v.get<long long>();
}

// Crossbar reads secrets written as "${NAME}" or "$NAME" from the environment, so that
// config files checked into a repository hold no secrets.
std::string from_environment(const std::string& value, const key_path& where) {
  if (value.size() < 2 || value[0] != '$') return value;
  std::string name = value.substr(1);
  if (name.size() >= 2 && name.front() == '{' && name.back() == '}') name = name.substr(1, name.size() - 2);
  if (name.empty() || name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") !=
                          std::string::npos)
    return value;
  const char* set = std::getenv(name.c_str());
  if (!set) throw config_error(where + ": the environment variable " + name + " is not set");
  return set;
}

class crossbar_reader {
 public:
  explicit crossbar_reader(const config_log_fn& log) : log_(log) {}

  router_config read(const wamp::value& root) {
    if (!root.is_object()) throw config_error("config: must be a JSON object");
    if (!root.contains("version"))
      throw config_error("version: missing; only Crossbar config version 2 is read");
    if (!root.at("version").is_number_integer() || root.at("version").get<long long>() != 2)
      throw config_error("version: only Crossbar config version 2 is read, not " + root.at("version").dump());
    const auto& workers = list_at(root, "workers", "config");
    for (std::size_t i = 0; i < workers.size(); ++i) read_worker(workers[i], "workers[" + std::to_string(i) + "]");
    ignore_other_keys(root, "", {"version", "workers"});
    return std::move(config_);
  }

 private:
  void ignored(const key_path& key, const std::string& why = "not needed by this router") {
    if (log_) log_("crossbar config: ignored " + key + " (" + why + ")");
  }

  void ignore_other_keys(const wamp::value& object, const key_path& where, std::set<std::string> read) {
    for (const auto& [key, value] : object.items()) {
      if (!read.count(key)) ignored(where.empty() ? key : where + "." + key);
    }
  }

  void ignore_options(const wamp::value& parent, const key_path& where) {
    const auto& options = object_at(parent, "options", where);
    for (const auto& [key, value] : options.items()) ignored(where + ".options." + key);
  }

  void read_worker(const wamp::value& worker, const key_path& where) {
    require_object(worker, where);
    const auto type = string_at(worker, "type", where);
    if (type == "container" || type == "guest")
      throw config_error(where + ".type: " + in_quotes(type) +
                         " workers run application code, which this router cannot; start those "
                         "components as separate clients");
    if (type != "router")
      throw config_error(where + ".type: " + in_quotes(type) + " workers are not supported, only \"router\"");
    // An empty list expresses nothing; a component would be application code we cannot run.
    if (!list_at(worker, "components", where).empty())
      throw config_error(where + ".components: this router cannot run components; start them as "
                         "separate clients");
    if (!list_at(worker, "containers", where).empty())
      throw config_error(where + ".containers: this router cannot run containers");
    const auto& realms = list_at(worker, "realms", where);
    for (std::size_t i = 0; i < realms.size(); ++i)
      read_realm(realms[i], where + ".realms[" + std::to_string(i) + "]");
    const auto& transports = list_at(worker, "transports", where);
    for (std::size_t i = 0; i < transports.size(); ++i)
      read_transport(transports[i], where + ".transports[" + std::to_string(i) + "]");
    ignore_options(worker, where);
    ignore_other_keys(worker, where, {"type", "id", "realms", "transports", "options", "components", "containers"});
  }

  // ---- realms ------------------------------------------------------------------------------

  void read_realm(const wamp::value& j, const key_path& where) {
    require_object(j, where);
    realm_config r;
    r.name = string_at(j, "name", where);
    if (!wamp::is_valid_uri(r.name)) throw config_error(where + ".name: " + in_quotes(r.name) + " is not a valid URI");
    for (const auto& other : config_.realms)
      if (other.name == r.name) throw config_error(where + ".name: realm " + in_quotes(r.name) + " is defined twice");
    // Who may join is decided by each transport's `auth`; the realm itself admits nobody.
    r.allow_anonymous = false;
    const auto& roles = list_at(j, "roles", where);
    for (std::size_t i = 0; i < roles.size(); ++i) {
      const auto w = where + ".roles[" + std::to_string(i) + "]";
      r.roles.push_back(read_role(roles[i], w));
      // The second of two same-named roles would never be consulted.
      if (std::count_if(r.roles.begin(), r.roles.end(), [&](const role& x) { return x.name == r.roles.back().name; }) > 1)
        throw config_error(w + ".name: the role " + in_quotes(r.roles.back().name) + " is defined twice");
    }
    // A Crossbar realm without roles admits nobody (every authrole is unknown), whereas an
    // empty role list makes our realm open: keep one role that no session can have.
    if (r.roles.empty()) r.roles.push_back(role{"", {}});
    read_store(object_at(j, "store", where), where + ".store", r);
    ignore_options(j, where);
    ignore_other_keys(j, where, {"name", "roles", "store", "options"});
    config_.realms.push_back(std::move(r));
  }

  role read_role(const wamp::value& j, const key_path& where) {
    require_object(j, where);
    role ro;
    ro.name = string_at(j, "name", where);
    if (j.contains("authorizer"))
      throw config_error(where + ".authorizer: dynamic authorizers (a WAMP procedure) are not supported; "
                         "list the role's permissions instead");
    const auto& permissions = list_at(j, "permissions", where);
    for (std::size_t i = 0; i < permissions.size(); ++i)
      ro.permissions.push_back(read_permission(permissions[i], where + ".permissions[" + std::to_string(i) + "]"));
    ignore_other_keys(j, where, {"name", "permissions"});
    return ro;
  }

  // A URI pattern and its match policy, read as Crossbar.io reads them. With `match`, the URI
  // is taken as it is. Without it, a permission's URI may be "starred" (autobahn's
  // convert_starred_uri): one "*" at the very end marks a prefix ("com.example.*", or "*" for
  // every URI), any other "*" a wildcard component, the stars removed ("com.*.create" is the
  // wildcard "com..create"); an event history's URI is exact. A "*" that Crossbar would take
  // literally (so the pattern could never match) is refused rather than served differently.
  static void read_pattern(const wamp::value& j, const key_path& where, std::string& uri, wamp::match_policy& match,
                           bool starred) {
    uri = string_at(j, "uri", where);
    const auto text = optional_string(j, "match", where);
    const auto stars = static_cast<std::size_t>(std::count(uri.begin(), uri.end(), '*'));
    if (text) {
      const auto policy = wamp::parse_match_policy(*text);
      if (!policy) throw config_error(where + ".match: must be exact, prefix or wildcard, not " + in_quotes(*text));
      match = *policy;
    } else if (starred && stars == 1 && uri.back() == '*') {
      uri.pop_back();
      match = wamp::match_policy::prefix;
    } else if (starred && stars > 0) {
      uri.erase(std::remove(uri.begin(), uri.end(), '*'), uri.end());
      match = wamp::match_policy::wildcard;
    } else {
      match = wamp::match_policy::exact;
    }
    if (uri.find('*') != std::string::npos) {
      throw config_error(where + ".uri: " + in_quotes(uri) + " has a \"*\" that Crossbar.io takes literally (" +
                         (text ? "with an explicit \"match\"" : "in an event history") +
                         "), so it would match nothing: remove the \"*\"" + (text ? " or the \"match\"" : ""));
    }
    const bool every_uri = uri.empty() && match == wamp::match_policy::prefix;
    if (!every_uri && !wamp::is_valid_uri(uri, wamp::uri_rules::loose, match))
      throw config_error(where + ".uri: " + in_quotes(uri) + " is not a valid " + std::string(wamp::to_string(match)) +
                         " URI pattern");
  }

  permission read_permission(const wamp::value& j, const key_path& where) {
    require_object(j, where);
    permission p;
    read_pattern(j, where, p.uri, p.match, true);
    const auto& allow = object_at(j, "allow", where);
    p.allow_call = bool_at(allow, "call", where + ".allow");
    p.allow_register = bool_at(allow, "register", where + ".allow");
    p.allow_publish = bool_at(allow, "publish", where + ".allow");
    p.allow_subscribe = bool_at(allow, "subscribe", where + ".allow");
    ignore_other_keys(allow, where + ".allow", {"call", "register", "publish", "subscribe"});
    const auto& disclose = object_at(j, "disclose", where);
    p.disclose_caller = bool_at(disclose, "caller", where + ".disclose");
    p.disclose_publisher = bool_at(disclose, "publisher", where + ".disclose");
    ignore_other_keys(disclose, where + ".disclose", {"caller", "publisher"});
    // "cache" only tunes Crossbar's caching of authorizer answers: nothing to do here.
    ignore_other_keys(j, where, {"uri", "match", "allow", "disclose", "cache"});
    return p;
  }

  void read_store(const wamp::value& store, const key_path& where, realm_config& r) {
    if (store.contains("type") && string_at(store, "type", where) != "memory")
      ignored(where + ".type", "events are kept in memory");
    // The store's own limit is each history's default, 100 without it (Crossbar's
    // MemoryEventStore.GLOBAL_HISTORY_LIMIT).
    const auto store_limit = int_at(store, "limit", where, 100, 0, 1'000'000);
    const auto& history = list_at(store, "event-history", where);
    for (std::size_t i = 0; i < history.size(); ++i) {
      const auto w = where + ".event-history[" + std::to_string(i) + "]";
      require_object(history[i], w);
      event_history h;
      read_pattern(history[i], w, h.uri, h.match, false);
      h.limit = static_cast<std::size_t>(int_at(history[i], "limit", w, store_limit, 0, 1'000'000));
      ignore_other_keys(history[i], w, {"uri", "match", "limit"});
      r.history.push_back(std::move(h));
    }
    ignore_other_keys(store, where, {"type", "limit", "event-history"});
  }

  // ---- transports --------------------------------------------------------------------------

  void read_transport(const wamp::value& j, const key_path& where) {
    require_object(j, where);
    const auto type = string_at(j, "type", where);
    listener_config l;
    if (type == "web") {
      l.type = "websocket";
      read_endpoint(j, where, l);
      const auto& paths = object_at(j, "paths", where);
      for (const auto& [name, path] : paths.items()) {
        const auto w = where + ".paths." + name;
        require_object(path, w);
        const auto path_type = string_at(path, "type", w);
        if (path_type != "websocket") {
          ignored(w, "a web path of type " + in_quotes(path_type) + "; only WebSocket paths are served");
          continue;
        }
        // Crossbar names paths without their leading slash ("ws" is served at "/ws").
        const std::string url_path = name.empty() || name[0] != '/' ? "/" + name : name;
        // "ws" and "/ws" are the same path: the second one's auth would silently win.
        if (std::any_of(l.paths.begin(), l.paths.end(), [&](const listener_path& p) { return p.path == url_path; }))
          throw config_error(w + ": the path " + in_quotes(url_path) + " is given twice");
        l.paths.push_back({url_path, read_auth(path, w)});
        ignore_options(path, w);
        ignore_other_keys(path, w, {"type", "auth", "options"});
      }
      ignore_options(j, where);
      ignore_other_keys(j, where, {"type", "endpoint", "paths", "options"});
      if (l.paths.empty()) {
        ignored(where, "a web transport without WebSocket paths");
        return;
      }
    } else if (type == "websocket") {
      l.type = "websocket";
      read_endpoint(j, where, l);
      // Autobahn's WebSocket server behind this transport does not look at the path.
      l.paths.push_back({path_of_url(j, where), read_auth(j, where), true});
      ignore_options(j, where);
      ignore_other_keys(j, where, {"type", "endpoint", "auth", "url", "options"});
    } else if (type == "rawsocket") {
      l.type = "rawsocket";
      read_endpoint(j, where, l);
      l.auth = read_auth(j, where);
      ignore_options(j, where);
      ignore_other_keys(j, where, {"type", "endpoint", "auth", "options"});
    } else {
      throw config_error(where + ".type: " + in_quotes(type) +
                         " transports are not supported, only web, websocket and rawsocket");
    }
    config_.listeners.push_back(std::move(l));
  }

  // The path of a top-level WebSocket transport: the one of its `url`, or "/".
  static std::string path_of_url(const wamp::value& j, const key_path& where) {
    const auto url = optional_string(j, "url", where);
    if (!url) return "/";
    const auto scheme = url->find("://");
    const auto slash = url->find('/', scheme == std::string::npos ? 0 : scheme + 3);
    return slash == std::string::npos ? "/" : url->substr(slash, url->find('?', slash) - slash);
  }

  void read_endpoint(const wamp::value& transport, const key_path& transport_where, listener_config& l) {
    const key_path where = transport_where + ".endpoint";
    if (!transport.contains("endpoint")) throw config_error(transport_where + ": missing \"endpoint\"");
    const auto& endpoint = transport.at("endpoint");
    require_object(endpoint, where);
    const auto type = string_at(endpoint, "type", where);
    if (type != "tcp") throw config_error(where + ".type: " + in_quotes(type) + " endpoints are not supported, only tcp");
    if (endpoint.contains("tls"))
      throw config_error(where + ".tls: TLS is not supported; listen on plain tcp (e.g. behind a TLS proxy)");
    if (!endpoint.contains("port")) throw config_error(where + ": missing \"port\"");
    const auto& port = endpoint.at("port");
    if (port.is_string()) {
      // Crossbar takes "$PORT" here too.
      const auto text = from_environment(port.get<std::string>(), where + ".port");
      if (text.empty() || text.size() > 5 || text.find_first_not_of("0123456789") != std::string::npos ||
          std::stoul(text) > 65535)
        throw config_error(where + ".port: must be an integer in 0..65535, not " + in_quotes(text));
      l.port = static_cast<unsigned short>(std::stoul(text));
    } else {
      l.port = static_cast<unsigned short>(int_at(endpoint, "port", where, 0, 0, 65535));
    }
    const auto version = int_at(endpoint, "version", where, 4, 4, 6);
    if (version == 5) throw config_error(where + ".version: must be 4 or 6");
    // No interface: every interface, as Crossbar does.
    l.host = optional_string(endpoint, "interface", where).value_or(version == 6 ? "::" : "0.0.0.0");
    ignore_other_keys(endpoint, where, {"type", "port", "interface", "version"});
  }

  // ---- authentication ----------------------------------------------------------------------

  std::shared_ptr<const transport_auth> read_auth(const wamp::value& transport, const key_path& transport_where) {
    auto auth = std::make_shared<transport_auth>();
    const key_path where = transport_where + ".auth";
    if (transport.contains("auth")) require_object(transport.at("auth"), where);
    if (!transport.contains("auth") || transport.at("auth").empty()) {
      // No `auth`, or an empty one (Crossbar tests `not auth_config`): anonymous sessions
      // are admitted with the role "anonymous".
      auth->allow_anonymous = true;
      return auth;
    }
    const auto& methods = transport.at("auth");
    for (const auto& [method, j] : methods.items()) {
      const auto w = where + "." + method;
      require_object(j, w);
      if (method != "anonymous" && method != "ticket" && method != "wampcra" && method != "cryptosign")
        throw config_error(w + ": the authentication method " + in_quotes(method) +
                           " is not supported, only anonymous, ticket, wampcra and cryptosign");
      const auto type = string_at(j, "type", w);
      if (type != "static")
        throw config_error(w + ".type: " + in_quotes(type) + " authentication is not supported, only \"static\"" +
                           (type == "dynamic" ? " (a dynamic authenticator is application code)" : ""));
      if (method == "anonymous") {
        auth->allow_anonymous = true;
        auth->anonymous_role = optional_string(j, "role", w).value_or("anonymous");
        auth->anonymous_realm = optional_string(j, "realm", w).value_or("");
        ignore_other_keys(j, w, {"type", "role", "realm"});
        continue;
      }
      const char* principals_key = method == "wampcra" ? "users" : "principals";
      const auto& principals = object_at(j, principals_key, w);
      for (const auto& [authid, principal] : principals.items())
        auth->users.push_back(read_principal(method, authid, principal, w + "." + principals_key + "." + authid));
      ignore_other_keys(j, w, {"type", principals_key});
    }
    check_unambiguous_users(auth->users, where);
    return auth;
  }

  user read_principal(const std::string& method, const std::string& authid, const wamp::value& j,
                      const key_path& where) {
    require_object(j, where);
    user u;
    u.authid = authid;
    u.method = method;
    u.role = string_at(j, "role", where);
    u.realm = optional_string(j, "realm", where).value_or("");
    if (method == "ticket") {
      u.secret = from_environment(string_at(j, "ticket", where), where + ".ticket");
      ignore_other_keys(j, where, {"role", "realm", "ticket"});
    } else if (method == "wampcra") {
      u.secret = from_environment(string_at(j, "secret", where), where + ".secret");
      if (j.contains("salt")) {
        u.salt = from_environment(string_at(j, "salt", where), where + ".salt");
        // Crossbar stores the derived key as the secret of a salted user.
        u.secret_is_derived_key = true;
      }
      u.iterations = static_cast<int>(int_at(j, "iterations", where, 1000, 1, 10'000'000));
      u.keylen = static_cast<int>(int_at(j, "keylen", where, 32, 1, 1024));
      ignore_other_keys(j, where, {"role", "realm", "secret", "salt", "iterations", "keylen"});
    } else {  // cryptosign
      for (const auto& key : list_at(j, "authorized_keys", where)) {
        if (!key.is_string()) throw config_error(where + ".authorized_keys: must be a list of hex strings");
        u.public_keys.push_back(key.get<std::string>());
      }
      if (u.public_keys.empty()) throw config_error(where + ".authorized_keys: required for cryptosign");
      ignore_other_keys(j, where, {"role", "realm", "authorized_keys"});
    }
    if (method != "cryptosign" && u.secret.empty())
      throw config_error(where + ": the " + std::string(method == "ticket" ? "ticket" : "secret") + " is empty");
    return u;
  }

  const config_log_fn& log_;
  router_config config_;
};

}  // namespace

router_config router_config_from_crossbar(const wamp::value& json, const config_log_fn& log) {
  return crossbar_reader(log).read(json);
}

}  // namespace autobahn_sync::router

#include "router/authenticator.hpp"

#include <algorithm>
#include <cctype>

#include "router/session.hpp"
#include "router/uris.hpp"
#include "wamp/auth/cryptosign.hpp"
#include "wamp/auth/secrets.hpp"
#include "wamp/auth/wampcra.hpp"
#include "wamp/base64.hpp"

namespace autobahn_sync::router {
namespace {

std::string lower_case(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

}  // namespace

auth_decision auth_decision::welcome(std::string authid, std::string authrole, std::string authmethod,
                                     std::string authprovider, wamp::dict authextra) {
  auth_decision d;
  d.what = kind::welcome;
  d.authid = std::move(authid);
  d.authrole = std::move(authrole);
  d.authmethod = std::move(authmethod);
  d.authprovider = std::move(authprovider);
  d.authextra = std::move(authextra);
  return d;
}

auth_decision auth_decision::challenge(std::string method, wamp::dict extra) {
  auth_decision d;
  d.what = kind::challenge;
  d.challenge_method = std::move(method);
  d.challenge_extra = std::move(extra);
  return d;
}

auth_decision auth_decision::abort(std::string reason, std::string message) {
  auth_decision d;
  d.what = kind::abort;
  d.reason = std::move(reason);
  d.message = std::move(message);
  return d;
}

auth_decision authenticator_functions::on_authenticate(const hello_request& hello,
                                                       const wamp::authenticate& answer) {
  if (!on_authenticate_) return auth_decision::abort(uris::authentication_failed, "no challenge was sent");
  return on_authenticate_(hello, answer);
}

bool session::has_feature(std::string_view role, std::string_view feature) const {
  const auto r = client_roles.find(std::string(role));
  if (r == client_roles.end() || !r->second.is_object()) return false;
  const auto f = r->second.find("features");
  if (f == r->second.end() || !f->is_object()) return false;
  const auto v = f->find(std::string(feature));
  return v != f->end() && v->is_boolean() && v->get<bool>();
}

wamp::dict session::details() const {
  return wamp::dict{{"session", id},
                    {"authid", authid},
                    {"authrole", authrole},
                    {"authmethod", authmethod},
                    {"authprovider", authprovider},
                    {"authextra", authextra},
                    {"transport", wamp::value::object({{"type", transport.type},
                                                       {"serializer", transport.serializer},
                                                       {"peer", transport.peer}})}};
}

static_authenticator::static_authenticator(const realm_config& realm, random_bytes_fn random,
                                           wall_clock_fn wall_clock)
    : realm_(realm), random_(std::move(random)), wall_clock_(std::move(wall_clock)) {}

auth_decision static_authenticator::on_hello(const hello_request& hello) {
  // The listener's own authentication replaces the realm's.
  const bool allow_anonymous =
      hello.via ? hello.via->allow_anonymous &&
                      (hello.via->anonymous_realm.empty() || hello.via->anonymous_realm == hello.realm)
                : realm_.allow_anonymous;
  const std::string& anonymous_role = hello.via ? hello.via->anonymous_role : realm_.anonymous_role;
  const std::vector<user>& users = hello.via ? hello.via->users : realm_.users;
  auto usable = [&](const user& u) { return u.realm.empty() || u.realm == hello.realm; };
  // One authid may have a ticket and a wampcra secret (Crossbar's per-method principals).
  auto find_user = [&](const std::string& authid, const std::string& method) -> const user* {
    for (const auto& u : users)
      if (u.authid == authid && u.method == method && usable(u)) return &u;
    return nullptr;
  };
  std::vector<std::string> methods = hello.authmethods;
  if (methods.empty()) methods.push_back("anonymous");
  for (const auto& method : methods) {
    if (method == "anonymous") {
      if (!allow_anonymous) continue;
      // Like Crossbar: the authid is a random name unless the client proposed one.
      std::string authid = hello.authid;
      if (authid.empty()) authid = "anonymous-" + wamp::auth::hex_encode(wamp::auth::random_bytes(random_, 6));
      return auth_decision::welcome(std::move(authid), anonymous_role, "anonymous", "static");
    }
    if (method == "cryptosign") {
      // The client names itself by its public key (authextra.pubkey), its authid, or both.
      // Hex is compared in lower case: "AB12..." and "ab12..." are the same key.
      const auto pubkey_it = hello.authextra.find("pubkey");
      const std::string pubkey = pubkey_it != hello.authextra.end() && pubkey_it->second.is_string()
                                     ? lower_case(pubkey_it->second.get<std::string>())
                                     : std::string();
      const user* who = nullptr;
      for (const auto& u : users) {
        if (u.method != "cryptosign" || !usable(u)) continue;
        if (!hello.authid.empty() && u.authid != hello.authid) continue;
        const bool key_matches = std::any_of(u.public_keys.begin(), u.public_keys.end(), [&](const std::string& k) {
          return !pubkey.empty() && lower_case(k) == pubkey;
        });
        if (key_matches || (pubkey.empty() && !hello.authid.empty())) {
          who = &u;
          break;
        }
      }
      if (!who) continue;
      std::string challenge = wamp::auth::random_bytes(random_, 32);
      pending_[hello.session] = {"cryptosign", who, challenge, wall_clock_(), pubkey};
      return auth_decision::challenge(
          "cryptosign", {{"challenge", wamp::auth::hex_encode(challenge)}, {"channel_binding", nullptr}});
    }
    if (method != "ticket" && method != "wampcra") continue;
    const user* who = find_user(hello.authid, method);
    if (!who) continue;
    if (method == "ticket") {
      pending_[hello.session] = {"ticket", who, {}, wall_clock_()};
      return auth_decision::challenge("ticket", {});
    }
    const std::string nonce = wamp::base64_encode(wamp::auth::random_bytes(random_, 16));
    std::string challenge =
        wamp::auth::wampcra_challenge(who->authid, who->role, "static", hello.session, nonce, wall_clock_());
    wamp::dict extra{{"challenge", challenge}};
    if (who->salt) {
      extra["salt"] = *who->salt;
      extra["iterations"] = who->iterations;
      extra["keylen"] = who->keylen;
    }
    pending_[hello.session] = {"wampcra", who, std::move(challenge), wall_clock_()};
    return auth_decision::challenge("wampcra", std::move(extra));
  }
  // Say nothing about which part failed (unknown user, wrong method, anonymous refused): the
  // same bare ABORT as a wrong secret, no message.
  return auth_decision::abort(uris::authentication_failed);
}

auth_decision static_authenticator::on_authenticate(const hello_request& hello, const wamp::authenticate& answer) {
  const auto it = pending_.find(hello.session);
  if (it == pending_.end()) return auth_decision::abort(uris::authentication_failed);
  const pending p = std::move(it->second);
  pending_.erase(it);  // a challenge answers once
  if (wall_clock_() - p.issued_ms > challenge_lifetime_ms) return auth_decision::abort(uris::authentication_failed);
  bool ok = false;
  if (p.method == "ticket") {
    ok = wamp::auth::secrets_equal(answer.signature, p.who->secret);
  } else if (p.method == "wampcra") {
    ok = wamp::auth::wampcra_verify(wampcra_key(*p.who), p.challenge, answer.signature);
  } else if (p.method == "cryptosign") {
    // A client that announced its key must sign with that key; one that named only its
    // authid may sign with any of the user's keys.
    ok = std::any_of(p.who->public_keys.begin(), p.who->public_keys.end(), [&](const std::string& key) {
      return (p.pubkey.empty() || lower_case(key) == p.pubkey) &&
             wamp::auth::cryptosign_verify(key, p.challenge, answer.signature);
    });
  }
  if (!ok) return auth_decision::abort(uris::authentication_failed);
  return auth_decision::welcome(p.who->authid, p.who->role, p.method, "static");
}

void static_authenticator::forget(wamp::id session) { pending_.erase(session); }

const std::string& static_authenticator::wampcra_key(const user& who) {
  if (!who.salt || who.secret_is_derived_key) return who.secret;
  std::string inputs = who.secret;
  for (const auto& part : {*who.salt, std::to_string(who.iterations), std::to_string(who.keylen)}) {
    inputs += '\0';
    inputs += part;
  }
  auto it = derived_keys_.find(inputs);
  if (it == derived_keys_.end()) {
    auto key = wamp::auth::wampcra_derive_key(who.secret, *who.salt, who.iterations, who.keylen);
    it = derived_keys_.emplace(std::move(inputs), std::move(key)).first;
  }
  return it->second;
}

}  // namespace autobahn_sync::router

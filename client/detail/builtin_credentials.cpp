#include "client/detail/builtin_credentials.hpp"

#include <algorithm>
#include <cstdint>
#include <stdexcept>

#include "wamp/auth/cryptosign.hpp"
#include "wamp/auth/wampcra.hpp"

namespace autobahn_sync::detail {
namespace {

// The largest salted wampcra parameters a router may ask for (Crossbar.io's default is 1000
// iterations of 32 bytes). PBKDF2 runs on the client's I/O thread.
constexpr std::int64_t max_wampcra_iterations = 1'000'000;
constexpr std::int64_t max_wampcra_keylen = 1024;

std::string text_in(const wamp::dict& extra, const char* key) {
  const auto it = extra.find(key);
  return it != extra.end() && it->second.is_string() ? it->second.get<std::string>() : std::string();
}

// A salted wampcra parameter: `fallback` when absent, else a whole number from 1 to `most`.
std::int64_t wampcra_parameter(const wamp::dict& extra, const char* name, std::int64_t fallback, std::int64_t most) {
  const auto it = extra.find(name);
  if (it == extra.end()) return fallback;
  const auto n = it->second.is_number_integer() ? it->second.get<std::int64_t>() : 0;
  if (n < 1 || n > most) {
    throw std::runtime_error("the wampcra challenge's " + std::string(name) + " is not from 1 to " +
                             std::to_string(most));
  }
  return n;
}

}  // namespace

wamp::authenticate answer_with_credentials(const wamp::challenge& c, const client_options& options,
                                           const std::vector<std::string>& offered) {
  if (std::find(offered.begin(), offered.end(), c.authmethod) == offered.end()) {
    throw std::runtime_error("the router challenged with authmethod '" + c.authmethod +
                             "', which this client did not offer");
  }
  if (c.authmethod == "ticket" && !options.ticket.empty()) {
    return wamp::authenticate{options.ticket, {}};
  }
  if (c.authmethod == "wampcra" && !options.secret.empty()) {
    std::string key = options.secret;
    if (const auto salt = text_in(c.extra, "salt"); !salt.empty()) {
      const auto iterations = wampcra_parameter(c.extra, "iterations", 1000, max_wampcra_iterations);
      const auto keylen = wampcra_parameter(c.extra, "keylen", 32, max_wampcra_keylen);
      key = wamp::auth::wampcra_derive_key(options.secret, salt, static_cast<int>(iterations),
                                           static_cast<int>(keylen));
    }
    return wamp::authenticate{wamp::auth::wampcra_signature(key, text_in(c.extra, "challenge")), {}};
  }
  if (c.authmethod == "cryptosign" && !options.private_key.empty()) {
    const auto key = wamp::auth::ed25519_key::from_seed_hex(options.private_key);
    if (!key) throw std::runtime_error("client_options::private_key is not 64 hex digits");
    const auto signature = key->sign_challenge(text_in(c.extra, "challenge"));
    if (!signature) throw std::runtime_error("the cryptosign challenge is not hex");
    return wamp::authenticate{*signature, {}};
  }
  throw std::runtime_error("no credentials for authmethod '" + c.authmethod + "'");
}

}  // namespace autobahn_sync::detail

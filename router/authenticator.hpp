// Authentication as the router sees it: a HELLO arrives, the authenticator decides to welcome
// it, challenge it (then decides again on AUTHENTICATE) or abort it.
//
// The router uses `static_authenticator` (built from a realm's users: anonymous, ticket,
// wampcra, cryptosign) unless the embedding code installs its own: any object implementing
// `authenticator`, or a pair of functions through `authenticator_functions`, so a test can
// decide any HELLO's fate.
//
// Authenticators run on the router's thread, synchronously; they must not block.
#pragma once

#include <functional>
#include <memory>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "router/config.hpp"
#include "wamp/message.hpp"

namespace autobahn_sync::router {

/// What a HELLO asked for.
struct hello_request {
  std::string realm;
  wamp::id session = 0;  // the id the session will have
  std::string authid;    // HELLO.Details.authid, may be empty
  std::string authrole;  // HELLO.Details.authrole, may be empty
  std::vector<std::string> authmethods;  // empty means ["anonymous"]
  wamp::dict authextra;
  wamp::dict details;    // the whole HELLO.Details
  std::string transport; // "websocket", "rawsocket", "inprocess"
  /// The authentication of the listener or path the client came through, if it has its own
  /// (then it replaces the realm's users and anonymous policy).
  const transport_auth* via = nullptr;
};

/// An authenticator's verdict.
struct auth_decision {
  enum class kind { welcome, challenge, abort };
  kind what = kind::abort;
  // welcome
  std::string authid;
  std::string authrole;
  std::string authmethod;
  std::string authprovider;
  wamp::dict authextra;
  // challenge
  std::string challenge_method;
  wamp::dict challenge_extra;
  // abort
  std::string reason;
  std::string message;

  static auth_decision welcome(std::string authid, std::string authrole, std::string authmethod,
                               std::string authprovider = "static", wamp::dict authextra = {});
  static auth_decision challenge(std::string method, wamp::dict extra);
  static auth_decision abort(std::string reason, std::string message = {});
};

class authenticator {
 public:
  virtual ~authenticator() = default;
  /// Decides on a HELLO.
  virtual auth_decision on_hello(const hello_request& hello) = 0;
  /// Decides on the AUTHENTICATE answering the challenge this authenticator sent.
  virtual auth_decision on_authenticate(const hello_request& hello, const wamp::authenticate& answer) = 0;
  /// The session went away before it answered a challenge.
  virtual void forget(wamp::id session) {}
};

/// An authenticator made of two functions (the second may be empty when the first never
/// challenges).
class authenticator_functions final : public authenticator {
 public:
  using hello_fn = std::function<auth_decision(const hello_request&)>;
  using authenticate_fn = std::function<auth_decision(const hello_request&, const wamp::authenticate&)>;

  explicit authenticator_functions(hello_fn on_hello, authenticate_fn on_authenticate = nullptr)
      : on_hello_(std::move(on_hello)), on_authenticate_(std::move(on_authenticate)) {}

  auth_decision on_hello(const hello_request& hello) override { return on_hello_(hello); }
  auth_decision on_authenticate(const hello_request& hello, const wamp::authenticate& answer) override;

 private:
  hello_fn on_hello_;
  authenticate_fn on_authenticate_;
};

/// Random bytes for nonces and challenges (injectable for deterministic simulation).
using random_bytes_fn = std::function<void(unsigned char* out, std::size_t size)>;

/// Clock for challenge timestamps (milliseconds since the Unix epoch).
using wall_clock_fn = std::function<std::int64_t()>;

/// Authenticates against a realm's configured users, and admits anonymous sessions when the
/// realm allows them. Methods are tried in the client's order of preference.
class static_authenticator final : public authenticator {
 public:
  static_authenticator(const realm_config& realm, random_bytes_fn random, wall_clock_fn wall_clock);

  auth_decision on_hello(const hello_request& hello) override;
  auth_decision on_authenticate(const hello_request& hello, const wamp::authenticate& answer) override;
  void forget(wamp::id session) override;

  /// How long a challenge stays answerable.
  static constexpr std::int64_t challenge_lifetime_ms = 60'000;

 private:
  struct pending {
    std::string method;
    const user* who = nullptr;
    std::string challenge;  // wampcra: the challenge string; cryptosign: the challenge bytes
    std::int64_t issued_ms = 0;
    std::string pubkey;  // cryptosign: the key the client announced (lower-case hex), if any
  };

  const realm_config& realm_;
  random_bytes_fn random_;
  wall_clock_fn wall_clock_;
  // Outstanding challenges by session id; each is used once.
  std::unordered_map<wamp::id, pending> pending_;
  // The PBKDF2 keys of salted wampcra users given their plain secret, derived at the first
  // AUTHENTICATE that needs one: with up to 10,000,000 iterations, deriving on every attempt
  // would let anyone who knows an authid stall the router's thread.
  // Keyed by what the key is derived from, not by the user's address (a listener's users may
  // go and others take their place).
  std::unordered_map<std::string, std::string> derived_keys_;
  const std::string& wampcra_key(const user& who);
};

}  // namespace autobahn_sync::router

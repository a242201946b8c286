// A realm: the sessions joined to it, its broker and dealer, authentication (the static
// authenticator from its config, or one the embedding code installs), authorization (roles
// from its config, plus an optional hook) and the WAMP meta API.
//
// Sans-I/O and single-threaded: router_core calls it on the router's thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "router/authenticator.hpp"
#include "router/broker.hpp"
#include "router/config.hpp"
#include "router/dealer.hpp"
#include "router/session.hpp"

namespace autobahn_sync::router {

class router_core;

/// An authorization verdict, with the disclosure the matching permission asks for.
struct authorization {
  bool allowed = false;
  bool disclose_caller = false;
  bool disclose_publisher = false;
};

/// Decides an action instead of the realm's roles: return true/false, or nullopt to let the
/// roles decide.
using authorizer_fn = std::function<std::optional<bool>(const session& who, action what, const std::string& uri)>;

class realm {
 public:
  realm(router_core& core, realm_config config);

  const std::string& name() const noexcept { return config_.name; }
  const realm_config& config() const noexcept { return config_; }

  /// Replaces the authenticator (nullptr restores the static one from the config).
  void set_authenticator(std::shared_ptr<authenticator> a);
  authenticator& current_authenticator() noexcept { return *authenticator_; }
  void set_authorizer(authorizer_fn f) { authorizer_ = std::move(f); }

  /// Decides whether `who` may do `what` on `uri`.
  authorization authorize(const session& who, action what, const std::string& uri) const;

  /// A session was welcomed into this realm.
  void join(session& s);
  /// A session leaves (GOODBYE, ABORT or transport loss): everything it held is freed.
  void leave(session& s);
  /// A message from an established session of this realm.
  void handle(session& s, wamp::message&& msg);

  const std::set<wamp::id>& sessions() const noexcept { return sessions_; }
  broker& the_broker() noexcept { return broker_; }
  dealer& the_dealer() noexcept { return dealer_; }
  router_core& core() noexcept { return core_; }

  /// Sends ERROR for a request.
  static void send_error(const session& to, wamp::message_type request_type, wamp::id request,
                         std::string error_uri, wamp::list args = {}, wamp::dict kwargs = {});
  /// True when `uri` is valid for this realm under `policy`; otherwise answers with
  /// wamp.error.invalid_uri.
  bool check_uri(const session& s, wamp::message_type request_type, wamp::id request,
                 const std::string& uri, wamp::match_policy policy) const;

  /// Answers a CALL to a `wamp.` meta procedure; false when there is no such procedure.
  bool call_meta(session& s, const wamp::call& msg);

 private:
  router_core& core_;
  realm_config config_;
  std::shared_ptr<authenticator> authenticator_;
  authorizer_fn authorizer_;
  std::set<wamp::id> sessions_;
  broker broker_;
  dealer dealer_;
};

}  // namespace autobahn_sync::router

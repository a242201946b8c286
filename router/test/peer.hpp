// A scripted WAMP peer attached straight to a router_core: the test sends typed messages and
// pops what the router answered. No transport, no threads.
#pragma once

#include <deque>
#include <string>

#include <catch2/catch.hpp>

#include "router/router_core.hpp"

namespace autobahn_sync::router::test {

inline wamp::dict all_client_roles() {
  const wamp::value features = {{"features",
                                 {{"progressive_call_results", true},
                                  {"call_canceling", true},
                                  {"caller_identification", true},
                                  {"publisher_identification", true},
                                  {"pattern_based_registration", true},
                                  {"pattern_based_subscription", true},
                                  {"shared_registration", true}}}};
  return {{"caller", features}, {"callee", features}, {"publisher", features}, {"subscriber", features}};
}

class peer {
 public:
  explicit peer(router_core& core) : core_(core) {
    id_ = core_.attach({[this](wamp::message&& m) { inbox.push_back(std::move(m)); }, [this] { closed = true; }});
  }
  ~peer() { core_.detach(id_); }

  void send(wamp::message msg) { core_.receive(id_, std::move(msg)); }

  template <class T>
  T expect() {
    INFO("expected " << wamp::name_of(wamp::type_of(wamp::message(T{}))));
    REQUIRE_FALSE(inbox.empty());
    wamp::message m = std::move(inbox.front());
    inbox.pop_front();
    INFO("got " << wamp::name_of(wamp::type_of(m)));
    REQUIRE(std::holds_alternative<T>(m));
    return std::get<T>(std::move(m));
  }

  /// The ERROR answering a request, checking its URI.
  wamp::error expect_error(const std::string& uri) {
    auto e = expect<wamp::error>();
    CHECK(e.error_uri == uri);
    return e;
  }

  void expect_nothing() { CHECK(inbox.empty()); }

  /// HELLO with every client feature; returns the WELCOME.
  wamp::welcome join(const std::string& realm = "realm1", wamp::dict details = {}) {
    details["roles"] = all_client_roles();
    send(wamp::hello{realm, details});
    return expect<wamp::welcome>();
  }

  wamp::id session_id() const { return id_; }

  std::deque<wamp::message> inbox;
  bool closed = false;

 private:
  router_core& core_;
  wamp::id id_;
};

}  // namespace autobahn_sync::router::test

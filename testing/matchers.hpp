// Catch2 matchers for WAMP errors: match an ApplicationError (or subclass) by its error URI,
// and an AbortError by its reason.
//
//   REQUIRE_THROWS_MATCHES(session.call("x.y"), autobahn_sync::ApplicationError,
//                          autobahn_sync::testing::has_error_uri("wamp.error.no_such_procedure"));
#pragma once

#include <string>

#include <catch2/catch.hpp>

#include "client/errors.hpp"

namespace autobahn_sync::testing {

class error_uri_matcher : public Catch::MatcherBase<ApplicationError> {
 public:
  explicit error_uri_matcher(std::string uri) : uri_(std::move(uri)) {}
  bool match(const ApplicationError& e) const override { return e.error() == uri_; }
  std::string describe() const override { return "has the WAMP error URI " + uri_; }

 private:
  std::string uri_;
};

class abort_reason_matcher : public Catch::MatcherBase<AbortError> {
 public:
  explicit abort_reason_matcher(std::string reason) : reason_(std::move(reason)) {}
  bool match(const AbortError& e) const override { return e.reason() == reason_; }
  std::string describe() const override { return "was aborted with " + reason_; }

 private:
  std::string reason_;
};

inline error_uri_matcher has_error_uri(std::string uri) { return error_uri_matcher(std::move(uri)); }
inline abort_reason_matcher has_abort_reason(std::string reason) { return abort_reason_matcher(std::move(reason)); }

}  // namespace autobahn_sync::testing

#include "client/errors.hpp"

#include <catch2/catch.hpp>

using namespace autobahn_sync;

TEST_CASE("the exception hierarchy follows the seed", "[unit][errors]") {
  CHECK_THROWS_AS(throw SessionNotReady("x"), Error);
  CHECK_THROWS_AS(throw SerializationError("x"), Error);
  CHECK_THROWS_AS(throw ProtocolError("x"), Error);
  CHECK_THROWS_AS(throw TransportLost("x"), Error);
  CHECK_THROWS_AS(throw ApplicationError("com.x"), Error);
  CHECK_THROWS_AS(throw NotAuthorized(), ApplicationError);
  CHECK_THROWS_AS(throw InvalidUri(), ApplicationError);
  CHECK_THROWS_AS(throw ConnectionRefusedError("x"), Error);
  CHECK_THROWS_AS(throw AbortError("wamp.error.no_such_realm", {}), Error);
  CHECK_THROWS_AS(throw AlreadyRunningError("x"), Error);
  CHECK_THROWS_AS(throw NotRunningError("x"), Error);
}

TEST_CASE("ApplicationError carries URI, args, kwargs and an error message", "[unit][errors]") {
  ApplicationError e("com.app.error", {"out of", 3, "apples"}, {{"left", 0}});
  CHECK(e.error() == "com.app.error");
  CHECK(e.args().size() == 3);
  CHECK(e.kwargs().at("left") == 0);
  CHECK(e.error_message() == "com.app.error: out of 3 apples");
  CHECK(std::string(e.what()) == e.error_message());
}

TEST_CASE("error URIs map onto exception types", "[unit][errors]") {
  CHECK_THROWS_AS(throw_application_error("wamp.error.not_authorized"), NotAuthorized);
  CHECK_THROWS_AS(throw_application_error("wamp.error.invalid_uri"), InvalidUri);
  try {
    throw_application_error("wamp.error.no_such_procedure", {"p"});
    FAIL("no exception");
  } catch (const NotAuthorized&) {
    FAIL("wrong type");
  } catch (const InvalidUri&) {
    FAIL("wrong type");
  } catch (const ApplicationError& e) {
    CHECK(e.error() == "wamp.error.no_such_procedure");
    CHECK(e.args() == wamp::list{"p"});
  }
  try {
    throw_application_error("wamp.error.not_authorized", {"no"}, {{"k", 1}});
  } catch (const NotAuthorized& e) {
    CHECK(e.error() == "wamp.error.not_authorized");
    CHECK(e.kwargs().at("k") == 1);
  }
}

TEST_CASE("AbortError carries reason and details", "[unit][errors]") {
  AbortError e("wamp.error.not_authorized", {{"message", "bad ticket"}});
  CHECK(e.reason() == "wamp.error.not_authorized");
  CHECK(e.details().at("message") == "bad ticket");
  CHECK(std::string(e.what()).find("bad ticket") != std::string::npos);
}

#include "wamp/message.hpp"

#include <catch2/catch.hpp>

#include "wamp/errc.hpp"

using namespace autobahn_sync::wamp;

TEST_CASE("type_of names the alternative held", "[unit][message]") {
  CHECK(type_of(message{call{1, {}, "com.example.add", {1, 2}, {}}}) == message_type::call);
  CHECK(type_of(message{yield{}}) == message_type::yield);
  CHECK(type_of(message{register_{}}) == message_type::register_);
  CHECK(name_of(message_type::register_) == "REGISTER");
  CHECK(name_of(static_cast<message_type>(7)) == "UNKNOWN");
}

TEST_CASE("only the specification's type codes are known", "[unit][message]") {
  CHECK(is_known_message_type(1));
  CHECK(is_known_message_type(70));
  CHECK_FALSE(is_known_message_type(0));
  CHECK_FALSE(is_known_message_type(7));
  CHECK_FALSE(is_known_message_type(71));
  CHECK_FALSE(is_known_message_type(-1));
}

TEST_CASE("error codes have the wamp category and a message", "[unit][message]") {
  boost::system::error_code ec = errc::id_out_of_range;
  CHECK(std::string(ec.category().name()) == "wamp");
  CHECK(ec.message() == "id out of range 1..2^53");
}

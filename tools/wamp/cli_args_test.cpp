// Argument reading of the `wamp` tool, without a router: options, payload values, kwargs.
#include <catch2/catch.hpp>

#include "tools/wamp/cli_args.hpp"
#include "tools/wamp/exit_codes.hpp"

using namespace wamp_cli;

TEST_CASE("arg_reader tells options, values, positionals and the separator apart", "[wamp_cli]") {
  const std::vector<std::string> args{"uri", "--url", "ws://x", "--realm=r=1", "-5", "-h", "--", "--kw", "a"};
  arg_reader in(args);
  REQUIRE(in.next());
  CHECK_FALSE(in.is_option());
  CHECK(in.text() == "uri");
  REQUIRE(in.next());
  CHECK(in.is_option());
  CHECK(in.text() == "--url");
  CHECK(in.value() == "ws://x");
  REQUIRE(in.next());
  CHECK(in.text() == "--realm");
  CHECK(in.value() == "r=1");
  REQUIRE(in.next());
  CHECK_FALSE(in.is_option());  // a negative number
  CHECK(in.text() == "-5");
  REQUIRE(in.next());
  CHECK(in.is_option());
  REQUIRE(in.next());
  CHECK(in.is_separator());
  CHECK(in.remaining() == std::vector<std::string>{"--kw", "a"});
  CHECK_FALSE(in.next());
}

TEST_CASE("arg_reader refuses a missing value and an unwanted one", "[wamp_cli]") {
  const std::vector<std::string> missing{"--url"};
  arg_reader a(missing);
  REQUIRE(a.next());
  CHECK_THROWS_AS(a.value(), usage_error);

  const std::vector<std::string> unwanted{"--acknowledge=1", "x"};
  arg_reader b(unwanted);
  REQUIRE(b.next());
  CHECK_THROWS_AS(b.next(), usage_error);  // nobody took the value
}

TEST_CASE("payload values are JSON when they parse, strings otherwise", "[wamp_cli]") {
  CHECK(parse_payload_value("1") == 1);
  CHECK(parse_payload_value("1").is_number_integer());
  CHECK(parse_payload_value("-2.5") == -2.5);
  CHECK(parse_payload_value("true") == true);
  CHECK(parse_payload_value("null").is_null());
  CHECK(parse_payload_value("\"1\"") == "1");
  CHECK(parse_payload_value("[1, \"a\"]") == wamp::value::parse(R"([1, "a"])"));
  CHECK(parse_payload_value("hello") == "hello");
  CHECK(parse_payload_value("") == "");
  CHECK(parse_payload_value("[1,") == "[1,");
  CHECK(parse_payload_value("1e999") == "1e999");  // out of range: kept as text
  CHECK(parse_payload_value("\"[[[[\"") == "[[[[");
  CHECK_THROWS_AS(parse_payload_value(std::string(65, '[') + std::string(65, ']')), usage_error);
  CHECK_NOTHROW(parse_payload_value(std::string(64, '[') + std::string(64, ']')));
}

TEST_CASE("keyword arguments and common options", "[wamp_cli]") {
  wamp::dict kwargs;
  add_keyword_argument(kwargs, "a=1");
  add_keyword_argument(kwargs, "b=x=y");
  add_keyword_argument(kwargs, "c=");
  CHECK(wamp::value(kwargs) == wamp::value::parse(R"({"a": 1, "b": "x=y", "c": ""})"));
  CHECK_THROWS_AS(add_keyword_argument(kwargs, "=1"), usage_error);
  CHECK_THROWS_AS(add_keyword_argument(kwargs, "novalue"), usage_error);

  const std::vector<std::string> args{"--timeout", "250", "--serializer", "msgpack", "--secret", "s", "--other"};
  common_options o;
  arg_reader in(args);
  while (in.next()) {
    if (in.text() == "--other") CHECK_FALSE(o.consume(in));
    else CHECK(o.consume(in));
  }
  CHECK(o.timeout == std::chrono::milliseconds(250));
  // A URL that cannot work is bad usage, said with its reason, not a failed connection later.
  const std::vector<std::string> bad{"--url", "foo://bar"};
  arg_reader url_in(bad);
  REQUIRE(url_in.next());
  CHECK_THROWS_WITH(o.consume(url_in), Catch::Matchers::StartsWith("--url foo://bar: "));
  CHECK(o.serializer == wamp::serializer_kind::msgpack);
  CHECK(o.secret == "s");
}

TEST_CASE("output lines survive invalid UTF-8", "[wamp_cli]") {
  CHECK(to_json_line(wamp::value("a\xff")) == "\"a\xEF\xBF\xBD\"");
  CHECK(to_json_line(wamp::value::parse(R"({"b": [1], "a": null})")) == R"({"a":null,"b":[1]})");
}

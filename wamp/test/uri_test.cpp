// URI validation under the strict and loose rules and each match policy, and pattern matching.
#include "wamp/uri.hpp"

#include <catch2/catch.hpp>

#include "wamp/id.hpp"
#include "wamp/utf8.hpp"

namespace wamp = autobahn_sync::wamp;
using wamp::match_policy;
using wamp::uri_rules;

TEST_CASE("loose rules accept any component without whitespace, dot or hash", "[unit]") {
  CHECK(wamp::is_valid_uri("com.myapp.topic1"));
  CHECK(wamp::is_valid_uri("com.MyApp.Topic-1"));
  CHECK(wamp::is_valid_uri("a"));
  CHECK(wamp::is_valid_uri("com.\xc3\xa9v\xc3\xa9nement"));
  CHECK_FALSE(wamp::is_valid_uri(""));
  CHECK_FALSE(wamp::is_valid_uri("com.my app"));
  CHECK_FALSE(wamp::is_valid_uri("com.my#app"));
  CHECK_FALSE(wamp::is_valid_uri("com..app"));
  CHECK_FALSE(wamp::is_valid_uri(".com"));
  CHECK_FALSE(wamp::is_valid_uri("com."));
  CHECK_FALSE(wamp::is_valid_uri("com.app\t"));
}

TEST_CASE("loose rules refuse the whitespace Python's \\s matches, ASCII or not", "[unit]") {
  // AutobahnPython's loose pattern is ^([^\s\.#]+\.)*([^\s\.#]+)$ on a str: Unicode whitespace.
  for (const char* space : {"\x0b", "\x1c", "\x1f", "\xc2\x85", "\xc2\xa0", "\xe1\x9a\x80", "\xe2\x80\x80",
                            "\xe2\x80\x8a", "\xe2\x80\xa8", "\xe2\x80\xa9", "\xe2\x80\xaf", "\xe2\x81\x9f",
                            "\xe3\x80\x80"}) {
    REQUIRE(wamp::is_valid_utf8(space));
    CHECK_FALSE(wamp::is_valid_uri(std::string("com.my") + space + "app"));
    CHECK_FALSE(wamp::is_valid_uri(std::string("com.app") + space));
  }
  // Neighbours that are not whitespace.
  for (const char* other : {"\x1b", "\x21", "\xc2\x84", "\xc2\xa1", "\xe2\x80\x8b", "\xe2\x80\xb0",
                            "\xe3\x80\x81", "\xe2\x82\xac"}) {
    CHECK(wamp::is_valid_uri(std::string("com.my") + other + "app"));
  }
}

TEST_CASE("strict rules accept only lower-case letters, digits and underscore", "[unit]") {
  CHECK(wamp::is_valid_uri("com.my_app.topic1", uri_rules::strict));
  CHECK_FALSE(wamp::is_valid_uri("com.MyApp", uri_rules::strict));
  CHECK_FALSE(wamp::is_valid_uri("com.my-app", uri_rules::strict));
  CHECK_FALSE(wamp::is_valid_uri("com..app", uri_rules::strict, match_policy::exact));
  CHECK(wamp::is_valid_uri("com..app", uri_rules::strict, match_policy::wildcard));
}

TEST_CASE("empty components are allowed only where the match policy permits them", "[unit]") {
  CHECK(wamp::is_valid_uri("com..update", uri_rules::loose, match_policy::wildcard));
  CHECK(wamp::is_valid_uri(".myapp.", uri_rules::loose, match_policy::wildcard));
  CHECK_FALSE(wamp::is_valid_uri("com..update", uri_rules::loose, match_policy::prefix));
  CHECK(wamp::is_valid_uri("com.example.", uri_rules::loose, match_policy::prefix));
  CHECK(wamp::is_valid_uri("", uri_rules::loose, match_policy::prefix));
  CHECK_FALSE(wamp::is_valid_uri(".com", uri_rules::loose, match_policy::prefix));
}

TEST_CASE("exact, prefix and wildcard matching", "[unit]") {
  CHECK(wamp::uri_matches("a.b", match_policy::exact, "a.b"));
  CHECK_FALSE(wamp::uri_matches("a.b", match_policy::exact, "a.b.c"));
  // Prefix matching is a string prefix, as the specification says.
  CHECK(wamp::uri_matches("com.myapp.topic.emergency", match_policy::prefix, "com.myapp.topic.emergency.11"));
  CHECK(wamp::uri_matches("com.myapp.topic.emergency", match_policy::prefix, "com.myapp.topic.emergency-low"));
  CHECK(wamp::uri_matches("com.myapp.topic.emergency", match_policy::prefix, "com.myapp.topic.emergency"));
  CHECK_FALSE(wamp::uri_matches("com.myapp.topic.emergency", match_policy::prefix, "com.myapp.topic"));
  CHECK(wamp::uri_matches("", match_policy::prefix, "anything"));
  // Wildcards match exactly one component each; the number of components must agree.
  CHECK(wamp::uri_matches("com.myapp..userevent", match_policy::wildcard, "com.myapp.foo.userevent"));
  CHECK(wamp::uri_matches("com.myapp..userevent", match_policy::wildcard, "com.myapp.bar.userevent"));
  CHECK_FALSE(wamp::uri_matches("com.myapp..userevent", match_policy::wildcard, "com.myapp.a.b.userevent"));
  CHECK_FALSE(wamp::uri_matches("com.myapp..userevent", match_policy::wildcard, "com.myapp.userevent"));
  CHECK(wamp::uri_matches("..", match_policy::wildcard, "a.b.c"));
  CHECK_FALSE(wamp::uri_matches("..", match_policy::wildcard, "a.b"));
  CHECK_FALSE(wamp::uri_matches("a..c", match_policy::wildcard, "a.b.d"));
}

TEST_CASE("match policy names", "[unit]") {
  CHECK(wamp::parse_match_policy("prefix") == match_policy::prefix);
  CHECK(wamp::parse_match_policy("wildcard") == match_policy::wildcard);
  CHECK(wamp::parse_match_policy("exact") == match_policy::exact);
  CHECK_FALSE(wamp::parse_match_policy("regex"));
  CHECK(wamp::to_string(match_policy::wildcard) == "wildcard");
  CHECK(wamp::is_reserved_uri("wamp.session.count"));
  CHECK_FALSE(wamp::is_reserved_uri("com.wamp.x"));
}

TEST_CASE("random ids stay in 1..2^53 and replay from their seed", "[unit]") {
  wamp::random_id_source a(42);
  wamp::random_id_source b(42);
  for (int i = 0; i < 10000; ++i) {
    const auto x = a.next();
    CHECK(wamp::is_valid_id(x));
    CHECK(x == b.next());
  }
  wamp::random_id_source c(43);
  CHECK(wamp::random_id_source(42).next() != c.next());
}

TEST_CASE("sequential ids start at 1 and wrap after 2^53", "[unit]") {
  wamp::sequential_id_source ids;
  CHECK(ids.next() == 1);
  CHECK(ids.next() == 2);
  CHECK_FALSE(wamp::is_valid_id(0));
  CHECK(wamp::is_valid_id(wamp::max_id));
  CHECK_FALSE(wamp::is_valid_id(wamp::max_id + 1));
}

TEST_CASE("UTF-8 validation", "[unit]") {
  CHECK(wamp::is_valid_utf8(""));
  CHECK(wamp::is_valid_utf8("plain ascii text longer than eight bytes"));
  CHECK(wamp::is_valid_utf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
  CHECK(wamp::is_valid_utf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF
  CHECK_FALSE(wamp::is_valid_utf8("\xff"));
  CHECK_FALSE(wamp::is_valid_utf8("\x80"));
  CHECK_FALSE(wamp::is_valid_utf8("\xc0\xaf"));          // overlong '/'
  CHECK_FALSE(wamp::is_valid_utf8("\xe0\x80\xaf"));      // overlong
  CHECK_FALSE(wamp::is_valid_utf8("\xed\xa0\x80"));      // surrogate
  CHECK_FALSE(wamp::is_valid_utf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  CHECK_FALSE(wamp::is_valid_utf8("abcdefgh\xc3"));      // cut short
}

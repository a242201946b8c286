// The JSON serializer reads and writes its text itself (wamp/detail/json_text.hpp); nlohmann's
// strict parser and dump() are the reference it must agree with, value for value and byte
// for byte, apart from the WAMP rules on top (binary as NUL + base64, NaN and Infinity read
// as AutobahnPython writes them).
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "wamp/codec.hpp"
#include "wamp/detail/json_text.hpp"
#include "wamp/serializer.hpp"
#include "wamp/test/decode_ways.hpp"
#include "wamp/test/json_oracle.hpp"

namespace wamp = autobahn_sync::wamp;
using wamp::value;
using wamp::test::json_reading_disagreement;

namespace {

const wamp::serializer& json() { return wamp::json_serializer(); }

// `payload` as the only argument of a PUBLISH.
std::string publish_of(const std::string& payload) { return "[16,1,{},\"t\",[" + payload + "]]"; }

// `text` with 1 to `max_edits` characters changed, added (from `alphabet`) or dropped.
std::string mangled(std::string text, std::mt19937& draw, const std::string& alphabet, unsigned max_edits) {
  const unsigned edits = 1 + static_cast<unsigned>(draw() % max_edits);
  for (unsigned e = 0; e < edits && !text.empty(); ++e) {
    const std::size_t at = draw() % text.size();
    const char c = alphabet[draw() % alphabet.size()];
    switch (draw() % 3) {
      case 0: text[at] = c; break;
      case 1: text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), c); break;
      default: text.erase(at, 1 + draw() % 3);
    }
  }
  return text;
}

value read(const std::string& text) {
  auto r = wamp::detail::read_json(text, {});
  REQUIRE(r.error == wamp::errc{});
  return r.parsed;
}

}  // namespace

TEST_CASE("JSON reads what nlohmann's strict parser reads, as it reads it, and refuses the rest", "[unit]") {
  const std::vector<std::string> payloads = {
      // numbers: the integer kinds, the fallback to double, the grammar's edges
      "0", "-0", "1", "-1", "007", "01", "1.", ".5", "-", "+1", "1e", "1e+", "1E5", "1e-5", "-0.0", "0.1",
      "18446744073709551615", "18446744073709551616", "-9223372036854775808", "-9223372036854775809",
      "123456789012345678901234567890", "1e308", "1.7976931348623157e308", "1.7976931348623159e308", "1e309",
      "-1e400", "1e-400", "-1e-400", "4.9e-324", "2.4e-324", "0e99999", "1e-99999999999", "1.5e00003",
      "0.000000000000000000000000001e-300",
      // literals
      "true", "false", "null", "tru", "nul", "True", "truex", "null null",
      // strings and escapes
      R"("")", R"("a\"b\\c\/d\be\ff\ng\rh\ti")", R"("\u0041\u00e9\u20ac\ud83d\ude00")", R"("\u00")", R"("\uZZZZ")",
      R"("\ud83d")", R"("\ud83d\u0041")", R"("\ude00")", R"("\ud83dx")", R"("\x")", R"("\")", "\"a\tb\"", "\"a\nb\"",
      "\"\x7f\"", "\"caf\xc3\xa9\"", "\"\xe2\x82\xac\xf0\x9f\x98\x80\"", "\"\xc3\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"",
      "\"\xf4\x90\x80\x80\"", "\"\xff\"", "\"abcdefgh\xffijklmnop\"", "\"abcdefghijklmnop\"", "\"unterminated",
      R"("a\u0000b")",
      // containers, whitespace, duplicate keys
      "[]", "{}", "[1,2,[3,{\"a\":[]}]]", "[1,]", "[,1]", "[1 2]", "{\"a\":1,}", "{\"a\" 1}", "{1:2}", "{\"a\":1,\"a\":2}",
      " \t\r\n[ 1 , { \"k\" : \"v\" } ] \n", "{\"a\":{\"b\":{\"c\":null}}}", "[[[[[[[[[[]]]]]]]]]]", "[", "{", "]", "}",
  };
  for (const auto& payload : payloads) {
    INFO(payload);
    CHECK(json_reading_disagreement(payload) == "");
    CHECK(json_reading_disagreement(publish_of(payload)) == "");
  }
  // What the comparison above holds us to, spelled out: the kinds of numbers nlohmann reads.
  CHECK(read("-0").is_number_integer());
  CHECK(read("7").is_number_unsigned());
  CHECK(read("-7").is_number_integer());
  CHECK(read("1E5").is_number_float());
  CHECK(read("18446744073709551616").is_number_float());
  CHECK(read("-9223372036854775809").is_number_float());
  CHECK(std::signbit(read("-1e-400").get<double>()));
  CHECK(std::signbit(read("-0.0").get<double>()));
  // nlohmann takes a NUL byte for the end of the text; it is never valid outside a string
  // (where it must be escaped), and Python's json refuses it, as we do.
  CHECK(json().decode(publish_of("1") + std::string(3, '\0')).error == wamp::errc::malformed);
  CHECK(json().decode(publish_of("1") + std::string(1, '\0') + "garbage").error == wamp::errc::malformed);
  // Around the whole text: a byte order mark, trailing text, nothing at all.
  for (const std::string& text : {"\xEF\xBB\xBF" + publish_of("1"), publish_of("1") + " x", publish_of("1") + "]",
                                 std::string(" "), std::string()}) {
    INFO(text);
    CHECK(json_reading_disagreement(text) == "");
  }
  // A string starting with NUL is binary when base64 follows, and refused otherwise.
  CHECK(read(R"("\u0000AP8Q")") == value::binary({0x00, 0xff, 0x10}));
  CHECK(wamp::detail::read_json(R"(["\u0000not base64!"])", {}).error == wamp::errc::malformed);
  CHECK(json_reading_disagreement(R"(["\u0000AP8Q", {"k": "\u0000"}])") == "");
}

TEST_CASE("JSON agrees with nlohmann's parser on thousands of mangled messages", "[unit]") {
  // Seeded: a failure names its case and replays.
  std::mt19937 draw(20261127);
  const std::vector<std::string> seeds = {
      publish_of(R"("hello", -12, 3.25e2, true, null, {"k": [1, "\u00e9", {"x": []}]}, "tab\there")"),
      R"([48, 7814135, {"receive_progress": true}, "com.example.echo", ["caf\u00e9 \ud83d\ude00"], {"n": 18446744073709551615}])",
      R"([36, 5512315355, 4429313566, {}, [0.1, -0.0, 1e-7, "a\\b\"c"], {"deep": {"er": [[], {}]}}])",
  };
  const std::string alphabet = "[]{}\",:0123456789.-+eE \t\n\\u/tfnrlsaxz\x7f\x01\xc3\xa9\xe2\x82\xac\xff\xed\xa0";
  for (int i = 0; i < 20000; ++i) {
    const std::string text = mangled(seeds[draw() % seeds.size()], draw, alphabet, 4);
    INFO("case " << i << ": " << text);
    REQUIRE(json_reading_disagreement(text) == "");
  }
}

TEST_CASE("JSON read straight into a message's fields agrees with JSON read as a value", "[unit]") {
  // What the serializer reads straight into the fields, and everything near it that must go
  // the other way: ids as floats, null payloads, arity, a binary string where a URI is, the
  // largest id and one past it, an ERROR's request type, a byte order mark, whitespace.
  std::vector<std::string> texts = {
      R"([48, 7814135, {"receive_progress": true}, "com.example.echo", ["caf\u00e9"], {"n": 1}])",
      R"([48,7,{},"a.b"])",
      R"([48,7.0,{},"a.b"])",
      R"([48,7e0,{},"a.b"])",
      R"([48,-7,{},"a.b"])",
      R"([48,0,{},"a.b"])",
      R"([48,9007199254740992,{},"a.b"])",
      R"([48,9007199254740993,{},"a.b"])",
      R"([48,7,{},"a.b",null,null])",
      R"([48,7,{},"a.b",null,{"k":1}])",
      R"([48,7,{},"a.b",[],{},1])",
      R"([48,7,{}])",
      R"([48,7,{"k":1,"k":2},"a.b"])",
      R"([48,7,{},"\u0000AAAA"])",
      R"([48,7,{},["a.b"]])",
      R"([48,7,{},"a.b",{}])",
      R"([48,7,[],"a.b"])",
      R"([48,7,null,"a.b"])",
      R"([48,true,{},"a.b"])",
      R"([8,48,7,{},"wamp.error.x"])",
      R"([8,49,7,{},"wamp.error.x"])",
      R"([8,4294967344,7,{},"wamp.error.x"])",
      R"([34,0,{}])",
      R"([35,0,{}])",
      R"([70,7,{},[NaN,Infinity]])",
      R"([1,"realm1",{"roles":{"caller":{}}}])",
      "\xEF\xBB\xBF [ 48 , 7 , { } , \"a.b\" ] \n",
      R"([])",
      R"(["CALL"])",
      R"([0])",
      R"([300])",
      R"([-48])",
      R"([48.0,7,{},"a.b"])",
      R"({"a":1})",
      R"(48)",
      R"([48,7,{},"a.b"] x)",
      R"([48,7,{},"a.b",])",
      R"([48 7,{},"a.b"])",
  };
  const wamp::decode_limits tight{1 << 20, 3, 200};
  for (const auto& text : texts) {
    for (std::size_t n = 0; n <= text.size(); ++n) {
      INFO(text.substr(0, n));
      REQUIRE(wamp::test::json_ways_disagreement(text.substr(0, n)) == "");
      REQUIRE(wamp::test::json_ways_disagreement(text.substr(0, n), tight) == "");
    }
  }
  // Mangled as in the test above.
  std::mt19937 draw(20261128);
  const std::string alphabet = "[]{}\",:0123456789.-+eE \t\n\\u/tfnrlsaxz\x7f\x01\xc3\xa9\xff";
  for (int i = 0; i < 20000; ++i) {
    const std::string text = mangled(texts[draw() % texts.size()], draw, alphabet, 3);
    INFO("case " << i << ": " << text);
    REQUIRE(wamp::test::json_ways_disagreement(text) == "");
    REQUIRE(wamp::test::json_ways_disagreement(text, tight) == "");
  }
}

namespace {

// A random payload value: every kind JSON carries, strings with every class of character.
value random_value(std::mt19937& draw, int depth) {
  switch (draw() % (depth < 3 ? 8 : 6)) {
    case 0: return nullptr;
    case 1: return draw() % 2 == 0;
    case 2: return static_cast<std::int64_t>(draw()) - static_cast<std::int64_t>(draw()) * 4096;
    case 3: return (static_cast<std::uint64_t>(draw()) << 32) | draw();
    case 4: {
      const double picks[] = {0.1, -0.0, 1e300, 5e-324, 1.0, -2.5, 123456.789, 1e21, 1e-7, 3.0e15};
      const double d = picks[draw() % 10];
      return draw() % 2 ? d : d * (1.0 + static_cast<double>(draw()) / 4294967296.0);
    }
    case 5: {
      static const std::vector<std::string> pieces = {"a", "Z", " ", "\"", "\\", "/", "\b", "\f", "\n", "\r", "\t",
                                                      std::string(1, '\0'), "\x01", "\x1f", "\x7f", "\xc3\xa9",
                                                      "\xe2\x82\xac", "\xf0\x9f\x98\x80", "plain text of some length"};
      std::string text;
      for (int n = static_cast<int>(draw() % 12); n > 0; --n) text += pieces[draw() % pieces.size()];
      if (!text.empty() && text[0] == '\0') text.insert(0, "x");  // JSON cannot carry it (it reads as binary)
      return text;
    }
    case 6: {
      value l = value::array();
      for (int n = static_cast<int>(draw() % 4); n > 0; --n) l.push_back(random_value(draw, depth + 1));
      return l;
    }
    default: {
      value d = value::object();
      for (int n = static_cast<int>(draw() % 4); n > 0; --n) d["k" + std::to_string(draw() % 5) + "\t\xc3\xa9"] = random_value(draw, depth + 1);
      return d;
    }
  }
}

}  // namespace

TEST_CASE("JSON writes what nlohmann's dump() writes, and reads it back the same", "[unit]") {
  std::mt19937 draw(1127);
  for (int i = 0; i < 3000; ++i) {
    const value payload = random_value(draw, 0);
    const wamp::message msg = wamp::publish{1, {}, "t", {payload}, {{"kw", payload}}};
    std::string ours;
    INFO("case " << i << ": " << payload.dump());
    CHECK(wamp::test::json_writing_disagreement(payload) == "");
    REQUIRE_FALSE(json().encode(msg, ours));
    CHECK(ours == wamp::to_value(msg).dump());
    const auto back = json().decode(ours);
    REQUIRE(back.ok());
    CHECK(back.msg == msg);
  }
}

TEST_CASE("JSON writes binary as NUL plus base64 wherever it is, and reads it back as binary", "[unit]") {
  const value bytes = value::binary({0x00, 0xff, 0x10});
  const wamp::message msg = wamp::publish{1, {}, "t", {value::array({1, bytes})}, {{"b", value::object({{"in", bytes}})}}};
  std::string text;
  REQUIRE_FALSE(json().encode(msg, text));
  CHECK(text == R"([16,1,{},"t",[[1,"\u0000AP8Q"]],{"b":{"in":"\u0000AP8Q"}}])");
  const auto back = json().decode(text);
  REQUIRE(back.ok());
  CHECK(back.msg == msg);
}

TEST_CASE("JSON keeps within its limits while reading: depth and memory", "[unit]") {
  const std::string deep = publish_of(std::string(70, '[') + std::string(70, ']'));
  CHECK(json().decode(deep).error == wamp::errc::nesting_too_deep);
  CHECK(json().decode(deep, {deep.size(), 80}).ok());
  // Many empty dicts: a few bytes each in the text, far more in memory.
  std::string many = "[16,1,{},\"t\",[{}";
  for (int i = 0; i < 20000; ++i) many += ",{}";
  many += "]]";
  wamp::decode_limits small;
  small.max_decoded_size = 100000;
  CHECK(json().decode(many, small).error == wamp::errc::decoded_too_large);
  CHECK(json().decode(many).ok());
}

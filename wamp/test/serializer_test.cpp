// The JSON and MsgPack serializers: exact round trips of every message type, the wire forms
// the specification shows, and a precise error for every kind of bad input.
#include "wamp/serializer.hpp"

#include <cmath>
#include <limits>
#include <random>

#include <catch2/catch.hpp>
#include <msgpack.hpp>

#include "wamp/codec.hpp"
#include "wamp/detail/json_text.hpp"
#include "wamp/test/decode_ways.hpp"

namespace wamp = autobahn_sync::wamp;
using wamp::errc;
using wamp::message;
using wamp::value;

namespace {

wamp::list sample_args() {
  return wamp::list{1, -2, 3.5, "text", "\xc3\xa9t\xc3\xa9 \xe2\x82\xac", nullptr, true,
                    value::binary({0x00, 0x01, 0xfe, 0xff}),
                    value::array({value::object({{"nested", value::array({1, 2})}})}),
                    std::uint64_t{1} << 53, std::int64_t{-1} << 40};
}

wamp::dict sample_kwargs() {
  return wamp::dict{{"a", 1}, {"bin", value::binary({9, 8, 7})}, {"list", value::array({"x"})}};
}

wamp::dict details() { return wamp::dict{{"flag", true}, {"n", 42}}; }

// One message of every type, with every field set.
std::vector<message> every_message() {
  return {
      wamp::hello{"realm1", {{"roles", value::object({{"caller", value::object()}})}}},
      wamp::welcome{9129137332, details()},
      wamp::abort{{{"message", "bye"}}, "wamp.error.no_such_realm"},
      wamp::challenge{"wampcra", {{"challenge", "{\"nonce\": \"x\"}"}}},
      wamp::authenticate{"c2lnbmF0dXJl", {}},
      wamp::goodbye{{}, "wamp.close.close_realm"},
      wamp::error{wamp::message_type::call, 7814135, details(), "com.myapp.error", sample_args(),
                  sample_kwargs()},
      wamp::publish{239714735, {{"acknowledge", true}}, "com.myapp.topic", sample_args(),
                    sample_kwargs()},
      wamp::published{239714735, 4429313566},
      wamp::subscribe{713845233, {{"match", "prefix"}}, "com.myapp"},
      wamp::subscribed{713845233, 5512315355},
      wamp::unsubscribe{85346237, 5512315355},
      wamp::unsubscribed{85346237, {}},
      wamp::unsubscribed{0, {{"subscription", 5512315355}, {"reason", "wamp.authentication.lost"}}},
      wamp::event{5512315355, 4429313566, details(), sample_args(), sample_kwargs()},
      wamp::call{7814135, {{"receive_progress", true}}, "com.myapp.echo", sample_args(),
                 sample_kwargs()},
      wamp::cancel{7814135, {{"mode", "kill"}}},
      wamp::result{7814135, {{"progress", true}}, sample_args(), sample_kwargs()},
      wamp::register_{25349185, {{"match", "wildcard"}}, "com.myapp..get"},
      wamp::registered{25349185, 2103333224},
      wamp::unregister{788923562, 2103333224},
      wamp::unregistered{788923562, {}},
      wamp::invocation{6131533, 9823526, details(), sample_args(), sample_kwargs()},
      wamp::interrupt{6131533, {{"mode", "killnowait"}}},
      wamp::yield{6131533, {}, sample_args(), sample_kwargs()},
  };
}

const wamp::serializer& pick(int kind) { return wamp::serializer_for(wamp::serializer_kind(kind)); }

wamp::decode_result decode(const wamp::serializer& s, std::string_view bytes, wamp::decode_limits limits = {}) {
  return s.decode(bytes, limits);
}

std::string pack(const value& v) {
  // The test's own MsgPack writer for hand-made inputs: via nlohmann's to_msgpack, which is
  // independent of the serializer under test.
  auto bytes = value::to_msgpack(v);
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace

TEST_CASE("every message type round-trips exactly through both serializers", "[unit]") {
  const auto& s = pick(GENERATE(1, 2));
  for (const message& original : every_message()) {
    INFO(s.subprotocol() << " " << wamp::name_of(wamp::type_of(original)));
    std::string bytes;
    REQUIRE_FALSE(s.encode(original, bytes));
    const auto decoded = s.decode(bytes);
    REQUIRE(decoded.ok());
    CHECK(decoded.msg == original);
  }
}

TEST_CASE("the codec's list form matches the specification's layout", "[unit]") {
  CHECK(wamp::to_value(wamp::hello{"somerealm", {{"roles", value::object()}}}) ==
        value::parse(R"([1, "somerealm", {"roles": {}}])"));
  CHECK(wamp::to_value(wamp::call{7814135, {}, "com.myapp.ping"}) ==
        value::parse(R"([48, 7814135, {}, "com.myapp.ping"])"));
  CHECK(wamp::to_value(wamp::call{7814135, {}, "com.myapp.echo", {"Hello"}}) ==
        value::parse(R"([48, 7814135, {}, "com.myapp.echo", ["Hello"]])"));
  // Empty Arguments are written only when ArgumentsKw follows them.
  CHECK(wamp::to_value(wamp::call{7814135, {}, "com.myapp.user", {}, {{"name", "x"}}}) ==
        value::parse(R"([48, 7814135, {}, "com.myapp.user", [], {"name": "x"}])"));
  CHECK(wamp::to_value(wamp::error{wamp::message_type::invocation, 6131533, {}, "com.e"}) ==
        value::parse(R"([8, 68, 6131533, {}, "com.e"])"));
  CHECK(wamp::to_value(wamp::unsubscribed{85346237, {}}) == value::parse("[35, 85346237]"));
  CHECK(wamp::to_value(wamp::yield{6131533, {}, {}, {}}) == value::parse("[70, 6131533, {}]"));
}

TEST_CASE("JSON encodes binary as NUL plus base64 and MsgPack as bin", "[unit]") {
  const message msg = wamp::event{1, 2, {}, {value::binary({0x10, 0x11, 0x12})}};
  std::string json;
  REQUIRE_FALSE(wamp::json_serializer().encode(msg, json));
  CHECK(json == R"([36,1,2,{},["\u0000EBES"]])");

  std::string packed;
  REQUIRE_FALSE(wamp::msgpack_serializer().encode(msg, packed));
  const auto handle = msgpack::unpack(packed.data(), packed.size());
  const auto& args = handle.get().via.array.ptr[4];
  REQUIRE(args.via.array.ptr[0].type == msgpack::type::BIN);
  CHECK(handle.get().via.array.ptr[2].type == msgpack::type::POSITIVE_INTEGER);
}

TEST_CASE("MsgPack writes strings as str", "[unit]") {
  std::string packed;
  REQUIRE_FALSE(wamp::msgpack_serializer().encode(wamp::call{1, {}, "a.b", {"x"}}, packed));
  const auto handle = msgpack::unpack(packed.data(), packed.size());
  CHECK(handle.get().via.array.ptr[3].type == msgpack::type::STR);
  CHECK(handle.get().via.array.ptr[4].via.array.ptr[0].type == msgpack::type::STR);
}

TEST_CASE("the specification's example messages decode", "[unit]") {
  const auto& json = wamp::json_serializer();
  auto r = decode(json, R"([1, "somerealm", {"roles": {"publisher": {}, "subscriber": {}}}])");
  REQUIRE(r.ok());
  CHECK(std::get<wamp::hello>(r.msg).realm == "somerealm");

  r = decode(json, R"([16, 239714735, {}, "com.myapp.mytopic1", [], {"color": "orange", "sizes": [23, 42, 7]}])");
  REQUIRE(r.ok());
  CHECK(std::get<wamp::publish>(r.msg).kwargs.at("color") == "orange");

  r = decode(json, R"([8, 48, 7814135, {}, "com.myapp.error.object_write_protected", ["Object is write protected."], {"severity": 3}])");
  REQUIRE(r.ok());
  const auto& e = std::get<wamp::error>(r.msg);
  CHECK(e.request_type == wamp::message_type::call);
  CHECK(e.args == wamp::list{"Object is write protected."});

  r = decode(json, R"([50, 7814135, {}, [30]])");
  REQUIRE(r.ok());
  CHECK(std::get<wamp::result>(r.msg).args == wamp::list{30});
}

TEST_CASE("null Arguments and ArgumentsKw are read as empty", "[unit]") {
  const auto r = decode(wamp::json_serializer(), R"([50, 7, {}, null, null])");
  REQUIRE(r.ok());
  CHECK(std::get<wamp::result>(r.msg) == wamp::result{7, {}, {}, {}});
}

TEST_CASE("each kind of malformed JSON gets its own error", "[unit]") {
  const auto& json = wamp::json_serializer();
  struct bad {
    std::string bytes;
    errc expected;
  };
  const std::vector<bad> cases = {
      {"", errc::malformed},
      {"[1, \"realm\"", errc::malformed},
      {"[1, \"realm\", {}] trailing", errc::malformed},
      {"{\"a\": 1}", errc::not_a_list},
      {"42", errc::not_a_list},
      {"[]", errc::wrong_arity},
      {"[999, 1]", errc::unknown_message_type},
      {"[7, 1]", errc::unknown_message_type},
      {"[\"HELLO\", \"realm\", {}]", errc::unknown_message_type},
      {"[1, \"realm\"]", errc::wrong_arity},
      {"[1, \"realm\", {}, {}]", errc::wrong_arity},
      {"[48, 1, {}, \"a.b\", [], {}, 7]", errc::wrong_arity},
      {"[1, 5, {}]", errc::wrong_element_type},
      {"[1, \"realm\", []]", errc::wrong_element_type},
      {"[48, \"1\", {}, \"a.b\"]", errc::wrong_element_type},
      {"[48, 1, {}, \"a.b\", {}]", errc::wrong_element_type},
      {"[48, 1, {}, \"a.b\", [], []]", errc::wrong_element_type},
      {"[8, 3, 1, {}, \"e\"]", errc::wrong_element_type},  // ABORT is not a request
      {"[8, 4294967344, 1, {}, \"e\"]", errc::wrong_element_type},  // 2^32 + 48 is not CALL
      {"[48, 0, {}, \"a.b\"]", errc::id_out_of_range},
      {"[48, -5, {}, \"a.b\"]", errc::id_out_of_range},
      {"[48, 9007199254740993, {}, \"a.b\"]", errc::id_out_of_range},
      {"[48, 1.5, {}, \"a.b\"]", errc::id_out_of_range},
      {"[1, \"r\xff\", {}]", errc::invalid_utf8},
      {"[1, \"\xed\xa0\x80\", {}]", errc::invalid_utf8},
      {"[36, 1, 2, {}, [\"\\u0000not base64!\"]]", errc::malformed},
  };
  for (const auto& c : cases) {
    INFO(c.bytes);
    const auto r = decode(json, c.bytes);
    CHECK(r.error == c.expected);
    CHECK_FALSE(r.detail.empty());
  }
}

TEST_CASE("ids at the edges of 1..2^53 are accepted", "[unit]") {
  const auto& json = wamp::json_serializer();
  CHECK(decode(json, "[48, 1, {}, \"a.b\"]").ok());
  CHECK(decode(json, "[48, 9007199254740992, {}, \"a.b\"]").ok());
  CHECK(decode(json, "[48, 1e3, {}, \"a.b\"]").ok());
  CHECK(decode(json, "[48, 9007199254740991.0, {}, \"a.b\"]").ok());
  // As a float, 2^53 + 1 reads as 2^53: not taken for an id.
  CHECK(decode(json, "[48, 9007199254740993.0, {}, \"a.b\"]").error == errc::id_out_of_range);
  // A router revokes a subscription with request 0 and details.
  CHECK(decode(json, "[35, 0, {\"subscription\": 5, \"reason\": \"x\"}]").ok());
}

TEST_CASE("nesting deeper than the limit is refused in both serializers", "[unit]") {
  std::string deep_json = "[36, 1, 2, {}, ";
  value deep = 1;
  for (int i = 0; i < 100; ++i) {
    deep_json += "[";
    deep = value::array({deep});
  }
  deep_json += "1";
  for (int i = 0; i < 100; ++i) deep_json += "]";
  deep_json += "]";
  CHECK(decode(wamp::json_serializer(), deep_json).error == errc::nesting_too_deep);
  CHECK(decode(wamp::msgpack_serializer(), pack(value::array({36, 1, 2, value::object(), value::array({deep})}))).error ==
        errc::nesting_too_deep);

  // Just inside a raised limit it decodes.
  CHECK(decode(wamp::json_serializer(), deep_json, {wamp::default_max_message_size, 200}).ok());

  // A million open brackets cost no stack.
  const std::string brackets(1'000'000, '[');
  CHECK(decode(wamp::json_serializer(), brackets).error == errc::nesting_too_deep);
  const std::string arrays(1'000'000, '\x91');  // fixarray of one element, repeated
  CHECK(decode(wamp::msgpack_serializer(), arrays).error == errc::nesting_too_deep);
}

TEST_CASE("values that would take more memory than max_decoded_size are refused in both serializers", "[unit]") {
  const auto& s = pick(GENERATE(1, 2));
  // A CALL whose arguments are 100,000 empty lists, dicts or short strings: a few hundred
  // kilobytes that decode to several megabytes.
  const auto call_with = [&](const value& element) {
    value args = value::array();
    for (int i = 0; i < 100'000; ++i) args.push_back(element);
    std::string bytes;
    REQUIRE_FALSE(s.encode(wamp::call{1, {}, "a.b", args.get<wamp::list>()}, bytes));
    return bytes;
  };
  wamp::decode_limits four_mib;
  four_mib.max_decoded_size = std::size_t{4} << 20;
  for (const value& element : {value::array(), value::object(), value("short")}) {
    const auto bytes = call_with(element);
    CHECK(decode(s, bytes).ok());
    const auto refused = decode(s, bytes, four_mib);
    CHECK(refused.error == errc::decoded_too_large);
    CHECK(refused.detail == "the decoded values would take over 4194304 bytes of memory (the limit)");
  }
  // Dict keys count too.
  value many_keys = value::object();
  for (int i = 0; i < 100'000; ++i) many_keys["k" + std::to_string(i)] = 1;
  std::string bytes;
  REQUIRE_FALSE(s.encode(wamp::call{1, {}, "a.b", {}, many_keys.get<wamp::dict>()}, bytes));
  CHECK(decode(s, bytes).ok());
  CHECK(decode(s, bytes, four_mib).error == errc::decoded_too_large);
}

TEST_CASE("the default max_decoded_size refuses 2 MB of empty lists and takes a million numbers", "[unit]") {
  // MsgPack: [48, 1, {}, "a.b", [<n elements, each one byte>]].
  const auto call_of = [](std::uint32_t n, char element) {
    std::string bytes = "\x95\x30\x01\x80\xa3" "a.b" "\xdd";
    for (int shift : {24, 16, 8, 0}) bytes += static_cast<char>((n >> shift) & 0xff);
    return bytes.append(n, element);
  };
  const auto empty_lists = decode(wamp::msgpack_serializer(), call_of(2'000'000, '\x90'));
  CHECK(empty_lists.error == errc::decoded_too_large);  // ~100 MB of values
  const auto numbers = decode(wamp::msgpack_serializer(), call_of(1'000'000, '\x07'));
  REQUIRE(numbers.ok());
  CHECK(std::get<wamp::call>(numbers.msg).args.size() == 1'000'000);
  // A forged count (lists announcing 2^32 - 1 elements each, nested) reserves little and
  // ends as malformed input.
  std::string forged = "\x95\x30\x01\x80\xa3" "a.b";
  for (int i = 0; i < 60; ++i) forged += "\xdd\xff\xff\xff\xff";
  CHECK(decode(wamp::msgpack_serializer(), forged).error == errc::malformed);
}

TEST_CASE("input over the size limit is refused before parsing", "[unit]") {
  const std::string msg = R"([48, 1, {}, "a.b", ["0123456789"]])";
  const auto& s = pick(GENERATE(1, 2));
  std::string bytes;
  REQUIRE_FALSE(s.encode(wamp::call{1, {}, "a.b", {"0123456789"}}, bytes));
  CHECK(s.decode(bytes, {bytes.size(), 64}).ok());
  CHECK(s.decode(bytes, {bytes.size() - 1, 64}).error == errc::message_too_large);
}

TEST_CASE("encoding over the size limit fails with message_too_large", "[unit]") {
  const auto& s = pick(GENERATE(1, 2));
  std::string bytes;
  const message big = wamp::call{1, {}, "a.b", {std::string(1000, 'x')}};
  CHECK(s.encode(big, bytes, 500) == errc::message_too_large);
  CHECK(bytes.empty());
  CHECK_FALSE(s.encode(big, bytes, 2000));
}

TEST_CASE("encoding a string that is not UTF-8 fails with invalid_utf8", "[unit]") {
  const auto& s = pick(GENERATE(1, 2));
  std::string bytes;
  CHECK(s.encode(wamp::call{1, {}, "a.b", {"bad \xff"}}, bytes) == errc::invalid_utf8);
  CHECK(s.encode(wamp::call{1, {}, "a.b", {}, {{"k\xc0", 1}}}, bytes) == errc::invalid_utf8);
}

TEST_CASE("JSON refuses to encode what it would change: NaN, Infinity, text starting with NUL", "[unit]") {
  // nlohmann writes NaN as null, and a reader takes "\0..." for binary: a MsgPack peer's
  // payload must not reach a JSON peer altered.
  const auto& json = wamp::json_serializer();
  std::string bytes;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(json.encode(wamp::result{1, {}, {nan}}, bytes) == errc::unrepresentable);
  CHECK(json.encode(wamp::result{1, {}, {}, {{"deep", value::array({1, -inf})}}}, bytes) == errc::unrepresentable);
  CHECK(json.encode(wamp::result{1, {}, {std::string("\0AAAA", 5)}}, bytes) == errc::unrepresentable);
  CHECK(json.encode(wamp::publish{1, {}, std::string("\0t", 2)}, bytes) == errc::unrepresentable);
  CHECK(bytes.empty());
  CHECK(wamp::is_encoding_error(errc::unrepresentable));
  // MsgPack carries all of them.
  CHECK_FALSE(wamp::msgpack_serializer().encode(wamp::result{1, {}, {nan, std::string("\0AAAA", 5)}}, bytes));
  // A NUL inside the text is fine, and so are finite floats.
  CHECK_FALSE(json.encode(wamp::result{1, {}, {std::string("a\0b", 3), 1.5}}, bytes));
}

TEST_CASE("JSON reads the NaN, Infinity and -Infinity tokens AutobahnPython writes", "[unit]") {
  // Python's json.dumps writes them by default (allow_nan); Crossbar.io reads them back.
  const auto& json = wamp::json_serializer();
  auto r = decode(json, R"([16,1,{},"com.t",[NaN,Infinity,-Infinity,"NaN and Infinity in a string"],{"k":[1.5,NaN]}])");
  REQUIRE_FALSE(r.error);
  const auto& p = std::get<wamp::publish>(r.msg);
  REQUIRE(p.args.size() == 4);
  CHECK(std::isnan(p.args[0].get<double>()));
  CHECK(p.args[1].get<double>() == std::numeric_limits<double>::infinity());
  CHECK(p.args[2].get<double>() == -std::numeric_limits<double>::infinity());
  CHECK(p.args[3] == "NaN and Infinity in a string");
  CHECK(std::isnan(p.kwargs.at("k")[1].get<double>()));
  // Still malformed: the tokens inside other words, or in a text broken elsewhere.
  CHECK(decode(json, R"([16,1,{},"com.t",[NaNa]])").error == errc::malformed);
  CHECK(decode(json, R"([16,1,{},"com.t",[NaN,]])").error == errc::malformed);
  CHECK(decode(json, R"([16,1,{},"com.t",[nan]])").error == errc::malformed);
}

TEST_CASE("each kind of malformed MsgPack gets its own error", "[unit]") {
  const auto& mp = wamp::msgpack_serializer();
  CHECK(decode(mp, "").error == errc::malformed);
  CHECK(decode(mp, "\xc1").error == errc::malformed);                       // never-used byte
  CHECK(decode(mp, "\x93\x01").error == errc::malformed);                   // truncated array
  CHECK(decode(mp, std::string("\xdd\xff\xff\xff\xff", 5)).error == errc::malformed);  // forged count
  CHECK(decode(mp, pack(value::array({1, "realm", value::object()})) + "x").error == errc::malformed);
  CHECK(decode(mp, pack(value::object({{"a", 1}}))).error == errc::not_a_list);
  CHECK(decode(mp, pack(value::array({1, "realm"}))).error == errc::wrong_arity);
  CHECK(decode(mp, pack(value::array({48, -1, value::object(), "a.b"}))).error == errc::id_out_of_range);
  // "r\xff" as a str: nlohmann would refuse to write it, so assemble the bytes by hand.
  CHECK(decode(mp, std::string("\x93\x01\xa2r\xff\x80", 6)).error == errc::invalid_utf8);
  // A map key that is an integer.
  CHECK(decode(mp, std::string("\x93\x01\xa1r\x81\x01\x01", 7)).error == errc::wrong_element_type);
  // An ext value.
  CHECK(decode(mp, std::string("\x94\x24\x01\x02\xd4\x01\x00", 7)).error == errc::wrong_element_type);
}

namespace {

// The two ways the MsgPack serializer reads (decode_ways.hpp) agree on `bytes`.
void check_msgpack_ways_agree(std::string_view bytes, const wamp::decode_limits& limits = {}) {
  std::string hex;
  for (unsigned char c : bytes) {
    hex += "0123456789abcdef"[c >> 4];
    hex += "0123456789abcdef"[c & 15];
  }
  INFO("bytes (hex): " << hex);
  REQUIRE(wamp::test::msgpack_ways_disagreement(bytes, limits) == "");
}

}  // namespace

TEST_CASE("both serializers read every message type straight into its fields", "[unit]") {
  // The usual way is taken (decode_ways.hpp compares it with the general one, which would
  // hide a usual way that always gave up).
  for (const message& original : every_message()) {
    INFO(wamp::name_of(wamp::type_of(original)));
    std::string bytes;
    REQUIRE_FALSE(wamp::msgpack_serializer().encode(original, bytes));
    message read;
    CHECK(wamp::detail::read_msgpack_message(bytes, {}, read));
    CHECK(read == original);
    REQUIRE_FALSE(wamp::json_serializer().encode(original, bytes));
    message read_json;
    CHECK(wamp::detail::read_json_message(bytes, {}, read_json));
    CHECK(read_json == original);
  }
}

TEST_CASE("MsgPack read straight into a message's fields agrees with MsgPack read as a value", "[unit]") {
  std::vector<std::string> inputs;
  for (const message& m : every_message()) {
    std::string bytes;
    REQUIRE_FALSE(wamp::msgpack_serializer().encode(m, bytes));
    inputs.push_back(bytes);
  }
  // What other writers may do that ours does not: a positive id or type code in a signed
  // format (int64, int8), ids as floats, null Arguments and ArgumentsKw, a duplicate key,
  // lists one element too short and too long, an ERROR for a request that cannot fail.
  inputs.push_back(std::string("\x95\x30\xd3\x00\x00\x00\x00\x00\x00\x00\x07\x80\xa3" "a.b" "\x90", 15));
  inputs.push_back(std::string("\x94\xd0\x30\x07\x80\xa3" "a.b", 9));
  inputs.push_back(std::string("\x94\xd0\xd0\x07\x80\xa3" "a.b", 9));  // int8 -48
  inputs.push_back(pack(value::array({48, 7.0, value::object(), "a.b"})));
  inputs.push_back(pack(value::array({48, 7.5, value::object(), "a.b"})));
  inputs.push_back(pack(value::array({48, 7, value::object(), "a.b", nullptr, nullptr})));
  inputs.push_back(pack(value::array({48, 7, value::object(), "a.b", nullptr, value::object({{"k", 1}})})));
  inputs.push_back(std::string("\x94\x30\x07\x82\xa1k\x01\xa1k\x02\xa3" "a.b", 13));
  inputs.push_back(pack(value::array({48, 7, value::object()})));
  inputs.push_back(pack(value::array({48, 7, value::object(), "a.b", value::array(), value::object(), 1})));
  inputs.push_back(pack(value::array({8, 48, 7, value::object(), "wamp.error.x"})));
  inputs.push_back(pack(value::array({8, 49, 7, value::object(), "wamp.error.x"})));
  inputs.push_back(pack(value::array({8, (std::uint64_t{1} << 32) + 48, 7, value::object(), "wamp.error.x"})));
  inputs.push_back(pack(value::array({34, 0, value::object()})));
  inputs.push_back(pack(value::array({35, 0, value::object()})));
  inputs.push_back(pack(value::array({48, std::uint64_t{1} << 53, value::object(), "a.b"})));
  inputs.push_back(pack(value::array({48, (std::uint64_t{1} << 53) + 1, value::object(), "a.b"})));
  inputs.push_back(pack(value::array({48, 7, value::object(), value::array({"a.b"})})));
  inputs.push_back(pack(value::array({48, 7, value::object(), "a.b", value::object()})));
  inputs.push_back(pack(value::array({48, 7, value::object(), "a.b", value::array(), value::array()})));
  inputs.push_back(pack(value::array({})));
  inputs.push_back(pack(value::array({"CALL"})));
  inputs.push_back(pack(value::array({0})));
  inputs.push_back(pack(value::array({300})));
  inputs.push_back(pack(value::array({-48})));
  inputs.push_back(pack(value::array({true, 1})));
  inputs.push_back(pack(value::object({{"a", 1}})));
  inputs.push_back(pack(value(48)));
  // Formats nlohmann's writer does not use: float64 and uint64 ids, array16 and map16 headers.
  inputs.push_back(std::string("\x94\x30\xcb\x40\x1c\x00\x00\x00\x00\x00\x00\x80\xa3" "a.b", 16));
  inputs.push_back(std::string("\x94\x30\xcf\x00\x00\x00\x00\x00\x00\x00\x07\x80\xa3" "a.b", 16));
  inputs.push_back(std::string("\xdc\x00\x04\x30\x07\xde\x00\x00\xa3" "a.b", 12));
  // Nil or bin where the URI or the type code goes; a non-str key and a duplicate key whose
  // first value is a list, in the options; Arguments longer than the builder reserves ahead.
  inputs.push_back(pack(value::array({48, 7, value::object(), nullptr})));
  inputs.push_back(std::string("\x94\x30\x07\x80\xc4\x03" "a.b", 9));
  inputs.push_back(pack(value::array({nullptr, 7, value::object(), "a.b"})));
  inputs.push_back(std::string("\x94\xc4\x01\x30\x07\x80\xa3" "a.b", 10));
  inputs.push_back(std::string("\x94\x30\x07\x81\x01\x01\xa3" "a.b", 10));
  inputs.push_back(std::string("\x94\x30\x07\x82\xa1k\x91\x01\xa1k\x02\xa3" "a.b", 15));
  inputs.push_back(pack(value::array({48, 7, value::object(), "a.b", value(wamp::list(5000, value(1)))})));
  for (const auto& bytes : inputs) {
    check_msgpack_ways_agree(bytes);
    check_msgpack_ways_agree(bytes + "x");
    for (std::size_t n = 0; n < bytes.size(); ++n) check_msgpack_ways_agree(bytes.substr(0, n));
  }
  // Every input mangled a few thousand ways (bytes changed, dropped, added), within the
  // default limits and within tight ones that some of them pass.
  std::mt19937_64 random(20261127);
  const wamp::decode_limits tight{1 << 20, 3, 200};
  for (int round = 0; round < 20000; ++round) {
    std::string bytes = inputs[random() % inputs.size()];
    for (int edits = 1 + static_cast<int>(random() % 3); edits > 0 && !bytes.empty(); --edits) {
      const std::size_t at = random() % bytes.size();
      switch (random() % 3) {
        case 0: bytes[at] = static_cast<char>(random()); break;
        case 1: bytes.erase(at, 1); break;
        default: bytes.insert(at, 1, static_cast<char>(random())); break;
      }
    }
    check_msgpack_ways_agree(bytes);
    check_msgpack_ways_agree(bytes, tight);
  }
}

TEST_CASE("decoding never throws on arbitrary bytes", "[unit]") {
  // Every one- and two-byte input, and prefixes of valid messages.
  for (int kind : {1, 2}) {
    const auto& s = pick(kind);
    for (int a = 0; a < 256; ++a) {
      for (int b = 0; b < 256; ++b) {
        const char bytes[2] = {static_cast<char>(a), static_cast<char>(b)};
        (void)s.decode(std::string_view(bytes, 2));
      }
    }
    for (const message& m : every_message()) {
      std::string bytes;
      REQUIRE_FALSE(s.encode(m, bytes));
      for (std::size_t n = 0; n < bytes.size(); ++n) CHECK_FALSE(s.decode(bytes.substr(0, n)).ok());
    }
  }
}

TEST_CASE("serializers are found by subprotocol and RawSocket id", "[unit]") {
  CHECK(wamp::find_serializer("wamp.2.json") == &wamp::json_serializer());
  CHECK(wamp::find_serializer("wamp.2.msgpack") == &wamp::msgpack_serializer());
  CHECK(wamp::find_serializer("wamp.2.cbor") == nullptr);
  CHECK(wamp::find_serializer(1) == &wamp::json_serializer());
  CHECK(wamp::find_serializer(2) == &wamp::msgpack_serializer());
  CHECK(wamp::find_serializer(3) == nullptr);
  CHECK_FALSE(wamp::json_serializer().is_binary());
  CHECK(wamp::msgpack_serializer().is_binary());
}

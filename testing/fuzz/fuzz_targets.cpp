#include "testing/fuzz/fuzz_targets.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <boost/beast/http/parser.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "client/session_core.hpp"
#include "router/router_core.hpp"
#include "wamp/detail/json_text.hpp"
#include "wamp/serializer.hpp"
#include "wamp/test/decode_ways.hpp"
#include "wamp/test/json_oracle.hpp"
#include "wamp/transport/rawsocket_handshake.hpp"
#include "wamp/transport/websocket_upgrade.hpp"

namespace autobahn_sync::fuzz {
namespace {

[[noreturn]] void broken(const char* what) {
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
  std::abort();
}

// Whatever decodes re-encodes to bytes that decode and re-encode to the same bytes. (Bytes,
// not messages, are compared: a NaN double is a valid MsgPack value that equals nothing.)
void decode_round_trip(const wamp::serializer& s, const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto decoded = s.decode(bytes);
  if (!decoded.ok()) return;
  std::string again;
  if (s.encode(decoded.msg, again)) return;  // e.g. too deep to encode within the limits
  auto second = s.decode(again);
  if (!second.ok()) broken("a re-encoded message does not decode");
  std::string third;
  if (s.encode(second.msg, third)) broken("a decoded re-encoding cannot be encoded again");
  if (third != again) broken("re-encoding is not stable: a message changed on its way through");
}

// Each line of the input decoded as one JSON message; undecodable lines are skipped.
std::vector<wamp::message> messages_of(const std::uint8_t* data, std::size_t size) {
  std::vector<wamp::message> out;
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  std::size_t start = 0;
  while (start <= all.size() && out.size() < 64) {
    auto end = all.find('\n', start);
    if (end == std::string_view::npos) end = all.size();
    auto decoded = wamp::json_serializer().decode(all.substr(start, end - start));
    if (decoded.ok()) out.push_back(std::move(decoded.msg));
    start = end + 1;
  }
  return out;
}

std::unique_ptr<router::router_core> make_router() {
  router::core_options o;
  o.seed = 1;
  auto core = std::make_unique<router::router_core>(std::move(o));
  core->add_realm(router::realm_config{"realm1"});
  return core;
}

}  // namespace

// The JSON serializer reads and writes its text itself: it must read as nlohmann's strict
// parser does and write as its dump() does, with the WAMP rules on top (wamp/test/json_oracle.hpp).
void json_decode(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (!wamp::test::json_reading_disagreement(text).empty()) broken("JSON reads a text otherwise than nlohmann's parser");
  // The serializer reads a usual message straight into its fields, anything else as a value.
  for (const wamp::decode_limits limits : {wamp::decode_limits{}, wamp::decode_limits{1 << 20, 3, 200}}) {
    if (!wamp::test::json_ways_disagreement(text, limits).empty()) {
      broken("JSON read into a message's fields and read as a value disagree");
    }
  }
  const auto read = wamp::detail::read_json(text, {});
  if (read.error == wamp::errc{} && wamp::test::dump_is_the_reference_for(read.parsed) &&
      !wamp::test::json_writing_disagreement(read.parsed).empty()) {
    broken("JSON writes a value otherwise than nlohmann's dump()");
  }
  decode_round_trip(wamp::json_serializer(), data, size);
}
void msgpack_decode(const std::uint8_t* data, std::size_t size) {
  // The serializer reads a usual message straight into its fields, anything else as a value:
  // both ways must agree, within the default limits and within tight ones.
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (const wamp::decode_limits limits : {wamp::decode_limits{}, wamp::decode_limits{1 << 20, 3, 200}}) {
    if (!wamp::test::msgpack_ways_disagreement(bytes, limits).empty()) {
      broken("MsgPack read into a message's fields and read as a value disagree");
    }
  }
  decode_round_trip(wamp::msgpack_serializer(), data, size);
}

void router_session(const std::uint8_t* data, std::size_t size) {
  const auto messages = messages_of(data, size);
  for (bool join_first : {false, true}) {
    auto owned = make_router();
    auto& core = *owned;
    bool open = true;
    const auto s = core.attach({[](wamp::message&&) {}, [&open] { open = false; }});
    // A second, well-behaved session must be unaffected by whatever the first one sends.
    std::vector<wamp::message> to_witness;
    const auto witness = core.attach({[&](wamp::message&& m) { to_witness.push_back(std::move(m)); }, [] {}});
    core.receive(witness, wamp::hello{"realm1", {{"roles", wamp::dict{{"caller", wamp::dict{}}}}}});
    if (join_first) core.receive(s, wamp::hello{"realm1", {{"roles", wamp::dict{{"callee", wamp::dict{}}}}}});
    for (auto m : messages) {
      if (!open) break;
      core.receive(s, std::move(m));
    }
    core.receive(witness, wamp::call{1, {}, "wamp.session.count"});
    if (to_witness.empty() || !std::holds_alternative<wamp::result>(to_witness.back()))
      broken("a well-behaved session got no RESULT after another session's input");
    core.detach(s);
    core.detach(witness);
  }
}

void client_session(const std::uint8_t* data, std::size_t size) {
  const auto messages = messages_of(data, size);
  session_core core{session_core::hooks{
      [](const wamp::message&) { return boost::system::error_code{}; },
      {},
      [](std::exception_ptr) {},
      [](const wamp::challenge&) { return wamp::authenticate{"", {}}; },
      [](wamp::id) {},
      {}}};
  core.join(join_options{"realm1"});
  core.on_message(wamp::welcome{1, {}});
  core.register_procedure("com.p", {}, [](wamp::invocation&&) {}, [](std::exception_ptr, std::uint64_t) {});
  core.call("com.p", {}, {}, {}, [](call_outcome&&) {});
  for (auto m : messages) core.on_message(std::move(m));
}

void rawsocket_stream(const std::uint8_t* data, std::size_t size) {
  namespace rs = wamp::rawsocket;
  if (size < 5) return;
  const unsigned settings = data[0];
  const rs::octets peer{data[1], data[2], data[3], data[4]};
  std::string_view rest(reinterpret_cast<const char*>(data) + 5, size - 5);
  // Our limit: 2^9 .. 2^24 bytes, from the settings' high nibble.
  const std::size_t our_limit = std::size_t{1} << (9 + (settings >> 4));
  const wamp::serializer_kind preferred = settings & 2 ? wamp::serializer_kind::msgpack : wamp::serializer_kind::json;
  const wamp::serializer* s = nullptr;
  if (settings & 1) {  // we accept; `peer` is the client's hello
    rs::acceptor_policy policy;
    if (settings & 4) policy.serializers = {preferred};
    if (settings & 8) policy.min_client_message_size = 4096;
    policy.max_connections = 2;
    policy.open_connections = (settings & 0x30) == 0x30 ? 2 : 1;  // 2: full
    policy.max_message_size = our_limit;
    const auto answer = rs::answer_client(peer, policy);
    if (!answer.is_rawsocket) return;
    if (answer.reply[0] != rs::magic || answer.reply[2] != 0 || answer.reply[3] != 0) broken("a malformed reply");
    if (answer.refusal) {
      if (answer.chosen || (answer.reply[1] & 0x0F) != 0 || (answer.reply[1] >> 4) != answer.refusal)
        broken("a refusal that does not say so");
      return;
    }
    if (!answer.chosen || (answer.reply[1] & 0x0F) != (peer[1] & 0x0F)) broken("accepted a serializer not offered");
    // The client reading our reply agrees with us.
    const auto seen = rs::check_reply(answer.reply, answer.chosen->kind());
    if (seen.error || seen.send_limit > our_limit) broken("the client cannot read the acceptor's yes");
    s = answer.chosen;
  } else {  // we are the client; `peer` is the acceptor's reply to our hello
    const auto hello = rs::client_hello(preferred, our_limit);
    const auto answer = rs::answer_client(hello, rs::acceptor_policy{});
    if (answer.refusal || answer.chosen != &wamp::serializer_for(preferred)) broken("a default acceptor refuses our hello");
    const auto outcome = rs::check_reply(peer, preferred);
    if (outcome.error) return;
    if (outcome.send_limit < 512 || outcome.send_limit > rs::max_frame_length) broken("an impossible send limit");
    s = &wamp::serializer_for(preferred);
  }
  const std::size_t receive_limit = rs::limit_of_exponent(wamp::rawsocket_length_exponent(our_limit));
  if (receive_limit > our_limit) broken("announced more than our limit");
  while (rest.size() >= 4) {
    const rs::octets header{static_cast<unsigned char>(rest[0]), static_cast<unsigned char>(rest[1]),
                            static_cast<unsigned char>(rest[2]), static_cast<unsigned char>(rest[3])};
    rest.remove_prefix(4);
    const auto parsed = rs::parse_frame_header(header, receive_limit);
    if (parsed.error) {
      if (parsed.error == wamp::errc::message_too_large && parsed.length <= receive_limit) broken("refused a frame within the limit");
      return;  // the connection ends here
    }
    if (parsed.length > receive_limit) broken("accepted a frame over the limit");
    if (rs::frame_header(parsed.type, parsed.length) != header) broken("a frame header does not re-encode to itself");
    if (rest.size() < parsed.length) return;  // the peer stopped mid-frame
    const auto payload = rest.substr(0, parsed.length);
    rest.remove_prefix(parsed.length);
    if (parsed.type == rs::frame_type::message) {
      auto decoded = s->decode(payload, {receive_limit, wamp::default_max_depth});
      (void)decoded;  // decode errors are reported to the owner; the connection goes on
    } else if (parsed.type == rs::frame_type::ping) {
      const auto pong = rs::parse_frame_header(rs::frame_header(rs::frame_type::pong, parsed.length), receive_limit);
      if (pong.error || pong.type != rs::frame_type::pong || pong.length != parsed.length) broken("a PONG that cannot be parsed");
    }
  }
}

void websocket_upgrade(const std::uint8_t* data, std::size_t size) {
  namespace http = boost::beast::http;
  http::request_parser<http::string_body> parser;
  parser.eager(true);
  parser.body_limit(64 * 1024);
  boost::asio::const_buffer input(data, size);
  while (!parser.is_done() && input.size() > 0) {
    boost::beast::error_code ec;
    const auto used = parser.put(input, ec);
    if (ec == http::error::need_more) return;  // the listener would wait for more (until its deadline)
    if (ec) return;                            // not HTTP: the listener drops the connection
    if (used == 0) return;
    input += used;
  }
  if (!parser.is_done()) return;
  const auto& request = parser.get();
  const std::vector<std::string> paths = {"/ws", "/"};
  const std::vector<wamp::serializer_kind> offered_by_router[] = {{wamp::serializer_kind::json, wamp::serializer_kind::msgpack},
                                                            {wamp::serializer_kind::msgpack}};
  for (const auto& serializers : offered_by_router) {
    const auto d = wamp::check_websocket_upgrade(request, paths, serializers);
    if (d.status != http::status::ok) {
      if (d.chosen || d.refusal_body.empty()) broken("a refusal that accepts");
      if (d.status != http::status::not_found && d.status != http::status::bad_request) broken("an unexpected status");
      continue;
    }
    if (!d.chosen || std::find(serializers.begin(), serializers.end(), d.chosen->kind()) == serializers.end())
      broken("accepted a serializer the router does not offer");
    // The target's path, without its query string ("/ws?token=..." is "/ws").
    const std::string_view target = request.target();
    if (std::find(paths.begin(), paths.end(), d.endpoint) == paths.end() || d.endpoint != target.substr(0, target.find('?')))
      broken("accepted another path");
    if (!boost::beast::websocket::is_upgrade(request)) broken("accepted a request that is no upgrade");
    const auto asked = wamp::offered_subprotocols(request);
    if (std::find(asked.begin(), asked.end(), d.chosen->subprotocol()) == asked.end())
      broken("chose a subprotocol the client did not ask for");
  }
}

}  // namespace autobahn_sync::fuzz

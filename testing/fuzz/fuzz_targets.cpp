#include "testing/fuzz/fuzz_targets.hpp"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "client/session_core.hpp"
#include "router/router_core.hpp"
#include "wamp/serializer.hpp"

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

void json_decode(const std::uint8_t* data, std::size_t size) { decode_round_trip(wamp::json_serializer(), data, size); }
void msgpack_decode(const std::uint8_t* data, std::size_t size) {
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

}  // namespace autobahn_sync::fuzz

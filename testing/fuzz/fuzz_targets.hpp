// Fuzz targets: each takes arbitrary bytes and must neither crash, hang, leak nor break its
// invariant (it aborts when it does). libFuzzer drives them under `--config=fuzz`
// (tools/fuzz.sh); the regression test replays the seed corpus and every input that once
// crashed with any build (testing/fuzz/corpus/<target>/).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace autobahn_sync::fuzz {

/// JSON text -> message; a decoded message re-encodes and decodes to itself.
void json_decode(const std::uint8_t* data, std::size_t size);
/// MsgPack bytes -> message; same invariant.
void msgpack_decode(const std::uint8_t* data, std::size_t size);
/// A router session fed arbitrary messages (JSON, one per line): before and after joining.
void router_session(const std::uint8_t* data, std::size_t size);
/// A client session fed arbitrary router messages (JSON, one per line) after a WELCOME.
void client_session(const std::uint8_t* data, std::size_t size);
/// RawSocket as one side sees it: octet 0 picks the side (bit 0: acceptor, else client) and
/// the settings, octets 1-4 are the peer's handshake octets, the rest is the peer's frames.
/// Acceptor and client must agree on every handshake one of them accepts; frame headers
/// re-encode to themselves; PINGs get a PONG the other side can parse.
void rawsocket_stream(const std::uint8_t* data, std::size_t size);
/// An HTTP request as the router's WebSocket listener receives it: Beast's parser, then our
/// checks of path, upgrade headers and subprotocol. An accepted upgrade names a path and a
/// serializer the router offers and the client asked for.
void websocket_upgrade(const std::uint8_t* data, std::size_t size);

struct target {
  std::string_view name;
  void (*run)(const std::uint8_t*, std::size_t);
};
inline constexpr target all_targets[] = {
    {"json_decode", json_decode},
    {"msgpack_decode", msgpack_decode},
    {"router_session", router_session},
    {"client_session", client_session},
    {"rawsocket_stream", rawsocket_stream},
    {"websocket_upgrade", websocket_upgrade},
};

}  // namespace autobahn_sync::fuzz

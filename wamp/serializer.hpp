// Serializers turn a `message` into bytes and back: JSON (`wamp.2.json`, RawSocket id 1) and
// MsgPack (`wamp.2.msgpack`, RawSocket id 2). Decoding is total: any byte string yields either
// a message or an errc with a human-readable detail; nothing throws.
//
// Thread safety: serializers are stateless; the shared instances may be used from any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <boost/system/error_code.hpp>

#include "wamp/errc.hpp"
#include "wamp/message.hpp"

namespace autobahn_sync::wamp {

/// Serializer ids; the numeric values are the RawSocket handshake's serializer field.
enum class serializer_kind : int { json = 1, msgpack = 2 };

/// Default limit on one message, encoded, in bytes (16 MiB).
inline constexpr std::size_t default_max_message_size = std::size_t{16} << 20;
/// Default limit on how deeply payload values may nest (lists and dicts).
inline constexpr int default_max_depth = 64;
/// Default limit on the memory one decoded message's values take (64 MiB, estimated).
inline constexpr std::size_t default_max_decoded_size = std::size_t{64} << 20;

struct decode_limits {
  std::size_t max_message_size = default_max_message_size;
  int max_depth = default_max_depth;
  /// The decoded values take up to ~50 times the bytes they came in (an empty list is one
  /// MsgPack byte and a 48-byte value): past this estimate decoding fails with
  /// decoded_too_large instead of taking the memory.
  std::size_t max_decoded_size = default_max_decoded_size;
};

/// The outcome of decoding: `error` is clear and `msg` holds the message, or `error` says why
/// the bytes are not a message and `detail` says where.
struct decode_result {
  boost::system::error_code error;
  std::string detail;
  message msg;

  bool ok() const noexcept { return !error; }
};

class serializer {
 public:
  virtual ~serializer() = default;

  virtual serializer_kind kind() const noexcept = 0;
  /// The WebSocket subprotocol: "wamp.2.json" or "wamp.2.msgpack".
  virtual std::string_view subprotocol() const noexcept = 0;
  /// True when messages travel as WebSocket binary frames (MsgPack), false for text (JSON).
  virtual bool is_binary() const noexcept = 0;

  /// Encodes `msg`, replacing the contents of `out`. Fails with `message_too_large` when the
  /// result would exceed `max_size`, or `invalid_utf8` for a string payload that is not UTF-8.
  virtual boost::system::error_code encode(const message& msg, std::string& out,
                                           std::size_t max_size = default_max_message_size)
      const = 0;

  /// Decodes one whole message. Never throws.
  virtual decode_result decode(std::string_view bytes, const decode_limits& limits = {})
      const noexcept = 0;
};

/// The shared JSON serializer.
const serializer& json_serializer() noexcept;
/// The shared MsgPack serializer.
const serializer& msgpack_serializer() noexcept;
/// The shared serializer of a kind.
const serializer& serializer_for(serializer_kind kind) noexcept;
/// The serializer of a WebSocket subprotocol name, or nullptr.
const serializer* find_serializer(std::string_view subprotocol) noexcept;
/// The serializer of a RawSocket serializer id, or nullptr.
const serializer* find_serializer(int rawsocket_id) noexcept;

}  // namespace autobahn_sync::wamp

// RawSocket's octets without I/O (specification: "RawSocket Transport"): the 4-octet
// handshake as the acceptor answers it and as the client checks the answer, and the 4-octet
// frame headers. Pure functions of the bytes, so rawsocket.cpp stays a thin Asio layer and the
// fuzz targets (testing/fuzz) can feed them anything.
//
// Thread safety: stateless; every function may be called from any thread.
#pragma once

#include <array>
#include <cstddef>
#include <vector>

#include <boost/system/error_code.hpp>

#include "wamp/serializer.hpp"

namespace autobahn_sync::wamp {

/// The handshake's max-length exponent for a size limit: the largest L in 0..15 with
/// 2^(9+L) <= max_message_size (so the announced limit never exceeds ours).
int rawsocket_length_exponent(std::size_t max_message_size) noexcept;

namespace rawsocket {

using octets = std::array<unsigned char, 4>;

inline constexpr unsigned char magic = 0x7F;
/// A frame's length field has 24 bits.
inline constexpr std::size_t max_frame_length = (std::size_t{1} << 24) - 1;

/// The message size a max-length exponent announces: 2^(9+exponent).
std::size_t limit_of_exponent(int exponent) noexcept;

// ---- handshake --------------------------------------------------------------------------

/// What the acceptor allows (rawsocket_listener_options, and its count of open connections).
struct acceptor_policy {
  std::vector<serializer_kind> serializers = {serializer_kind::json, serializer_kind::msgpack};
  std::size_t min_client_message_size = 0;  // 0: any
  std::size_t max_connections = 0;          // 0: no limit
  std::size_t open_connections = 0;
  std::size_t max_message_size = default_max_message_size;  // ours, announced in the reply
};

/// The acceptor's answer to a client's four octets.
struct acceptor_answer {
  /// False: not a RawSocket client (first octet is not 0x7F); close without a reply.
  bool is_rawsocket = false;
  /// 0 when accepted, else the error code of the reply (1 serializer unsupported, 2 max
  /// length unacceptable, 3 reserved bits used, 4 maximum connection count reached).
  int refusal = 0;
  octets reply{};
  const serializer* chosen = nullptr;  // set when accepted
  std::size_t send_limit = 0;          // the largest message the client accepts
};

acceptor_answer answer_client(const octets& client, const acceptor_policy& policy);

/// The client's octets: its serializer and the exponent of `max_message_size`.
octets client_hello(serializer_kind kind, std::size_t max_message_size) noexcept;

/// The client's reading of the acceptor's reply.
struct client_outcome {
  /// Clear when accepted; else the errc of the acceptor's error reply, or handshake_failed.
  boost::system::error_code error;
  std::size_t send_limit = 0;  // the largest message the acceptor accepts
};

client_outcome check_reply(const octets& reply, serializer_kind offered) noexcept;

// ---- frames -----------------------------------------------------------------------------

enum class frame_type : unsigned char { message = 0, ping = 1, pong = 2 };

/// The header of a frame of `length` payload octets (at most max_frame_length).
octets frame_header(frame_type type, std::size_t length) noexcept;

struct parsed_header {
  /// reserved_bits_used, bad_frame (an unknown type) or message_too_large (over
  /// `receive_limit`); the connection cannot go on after any of them.
  boost::system::error_code error;
  frame_type type = frame_type::message;
  std::size_t length = 0;
};

parsed_header parse_frame_header(const octets& header, std::size_t receive_limit) noexcept;

/// The size a receive buffer holding `held` octets should have to read on, when the frame
/// being read needs `needed` octets in all, header included (0: not known yet), reading at
/// least `chunk` at a time. Room for the whole frame, but never more than twice what has
/// arrived plus a chunk: a peer that announces a large frame and sends little gets little
/// memory, and a large frame that does arrive is read in a few doubling steps.
std::size_t receive_room(std::size_t held, std::size_t needed, std::size_t chunk) noexcept;

}  // namespace rawsocket
}  // namespace autobahn_sync::wamp

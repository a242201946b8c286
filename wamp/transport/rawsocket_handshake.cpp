#include "wamp/transport/rawsocket_handshake.hpp"

#include <algorithm>

#include "wamp/errc.hpp"

namespace autobahn_sync::wamp {

int rawsocket_length_exponent(std::size_t max_message_size) noexcept {
  int exponent = 0;
  while (exponent < 15 && rawsocket::limit_of_exponent(exponent + 1) <= max_message_size) ++exponent;
  return exponent;
}

namespace rawsocket {
namespace {

octets error_reply(int code) { return {magic, static_cast<unsigned char>(code << 4), 0, 0}; }

errc errc_of_reply(int code) {
  switch (code) {
    case 1: return errc::serializer_unsupported;
    case 2: return errc::max_length_unacceptable;
    case 3: return errc::reserved_bits_used;
    case 4: return errc::max_connections_reached;
    default: return errc::handshake_failed;
  }
}

}  // namespace

std::size_t limit_of_exponent(int exponent) noexcept { return std::size_t{1} << (9 + exponent); }

acceptor_answer answer_client(const octets& in, const acceptor_policy& policy) {
  acceptor_answer a;
  if (in[0] != magic) return a;
  a.is_rawsocket = true;
  const int serializer_id = in[1] & 0x0F;
  const int exponent = in[1] >> 4;
  const serializer* chosen = find_serializer(serializer_id);
  const bool accepted = chosen && std::find(policy.serializers.begin(), policy.serializers.end(), chosen->kind()) !=
                                      policy.serializers.end();
  if (in[2] != 0 || in[3] != 0) {
    a.refusal = 3;
  } else if (!accepted) {
    a.refusal = 1;
  } else if (limit_of_exponent(exponent) < policy.min_client_message_size) {
    a.refusal = 2;
  } else if (policy.max_connections && policy.open_connections >= policy.max_connections) {
    a.refusal = 4;
  }
  if (a.refusal) {
    a.reply = error_reply(a.refusal);
    return a;
  }
  a.chosen = chosen;
  a.send_limit = std::min(limit_of_exponent(exponent), max_frame_length);
  a.reply = {magic, static_cast<unsigned char>((rawsocket_length_exponent(policy.max_message_size) << 4) | serializer_id),
             0, 0};
  return a;
}

octets client_hello(serializer_kind kind, std::size_t max_message_size) noexcept {
  return {magic, static_cast<unsigned char>((rawsocket_length_exponent(max_message_size) << 4) | static_cast<int>(kind)),
          0, 0};
}

client_outcome check_reply(const octets& in, serializer_kind offered) noexcept {
  client_outcome out;
  if (in[0] != magic) {
    out.error = errc::handshake_failed;
  } else if ((in[1] & 0x0F) == 0) {
    out.error = errc_of_reply(in[1] >> 4);
  } else if ((in[1] & 0x0F) != static_cast<int>(offered) || in[2] != 0 || in[3] != 0) {
    out.error = errc::handshake_failed;
  } else {
    out.send_limit = std::min(limit_of_exponent(in[1] >> 4), max_frame_length);
  }
  return out;
}

octets frame_header(frame_type type, std::size_t length) noexcept {
  return {static_cast<unsigned char>(type), static_cast<unsigned char>(length >> 16),
          static_cast<unsigned char>(length >> 8), static_cast<unsigned char>(length)};
}

std::size_t receive_room(std::size_t held, std::size_t needed, std::size_t chunk) noexcept {
  return std::max(held + chunk, std::min(needed, 2 * held + chunk));
}

parsed_header parse_frame_header(const octets& header, std::size_t receive_limit) noexcept {
  parsed_header p;
  p.type = static_cast<frame_type>(header[0] & 0x07);
  p.length = (std::size_t{header[1]} << 16) | (std::size_t{header[2]} << 8) | header[3];
  if (header[0] & 0xF8) {
    p.error = errc::reserved_bits_used;
  } else if (p.type != frame_type::message && p.type != frame_type::ping && p.type != frame_type::pong) {
    p.error = errc::bad_frame;
  } else if (p.length > receive_limit) {
    p.error = errc::message_too_large;
  }
  return p;
}

}  // namespace rawsocket
}  // namespace autobahn_sync::wamp

// Error codes of the wire core: decoding failures and transport failures, as
// boost::system::error_code values of the "wamp" category (the codes Asio handlers carry).
//
// They never escape as exceptions from the wire core; the client maps them onto the
// autobahn_sync exception hierarchy, the router onto ABORT/close reasons.
#pragma once

#include <boost/system/error_code.hpp>

namespace autobahn_sync::wamp {

enum class errc {
  // Decoding: the bytes are not a valid WAMP message.
  malformed = 1,          // not valid JSON / MsgPack, or trailing bytes after the value
  not_a_list,             // the top-level value is not a list
  unknown_message_type,   // first element is not a known type code
  wrong_arity,            // too few or too many elements for the type
  wrong_element_type,     // an element has the wrong type (e.g. Details not a dict)
  id_out_of_range,        // an id outside 1..2^53
  invalid_utf8,           // a string that is not valid UTF-8
  nesting_too_deep,       // payload nested deeper than the limit
  message_too_large,      // message bigger than the limit (received or to be sent)
  invalid_uri,            // a URI element that is not a valid URI

  // Transport.
  handshake_failed,           // the peer did not complete a valid transport handshake
  serializer_unsupported,     // RawSocket error 1 / no agreeable WebSocket subprotocol
  max_length_unacceptable,    // RawSocket error 2
  reserved_bits_used,         // RawSocket error 3, or a frame with reserved bits set
  max_connections_reached,    // RawSocket error 4
  bad_frame,                  // a RawSocket frame of unknown type
  send_queue_full,            // the outgoing queue passed its byte limit
  not_connected,              // send() on a connection that is closed or closing
  handshake_timeout,          // the peer did not finish the transport handshake in time
  tls_certificate_untrusted,  // TLS: the server's certificate does not chain to a trusted CA
  tls_host_name_mismatch,     // TLS: the server's certificate does not name the host
  tls_bad_configuration,      // TLS: the client's CA certificates cannot be loaded

  // Encoding (appended: the values above stay as they were).
  unrepresentable,  // a value the serializer cannot carry faithfully (JSON: NaN, Infinity, text starting with NUL)

  // Decoding (appended).
  decoded_too_large,  // the decoded values would take more memory than the limit
};

/// The category of errc values; its name() is "wamp".
const boost::system::error_category& wamp_category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), wamp_category()};
}

/// True for the errors of a send whose message cannot be encoded for this connection (nothing
/// was sent, the connection is as it was): invalid_utf8, nesting_too_deep, message_too_large,
/// unrepresentable.
bool is_encoding_error(const boost::system::error_code& ec) noexcept;

}  // namespace autobahn_sync::wamp

template <>
struct boost::system::is_error_code_enum<autobahn_sync::wamp::errc> : std::true_type {};

#include "wamp/errc.hpp"

#include <string>

namespace autobahn_sync::wamp {
namespace {

class category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "wamp"; }

  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::malformed: return "malformed message encoding";
      case errc::not_a_list: return "message is not a list";
      case errc::unknown_message_type: return "unknown message type";
      case errc::wrong_arity: return "wrong number of message elements";
      case errc::wrong_element_type: return "message element of the wrong type";
      case errc::id_out_of_range: return "id out of range 1..2^53";
      case errc::invalid_utf8: return "string is not valid UTF-8";
      case errc::nesting_too_deep: return "payload nested too deeply";
      case errc::message_too_large: return "message exceeds the size limit";
      case errc::invalid_uri: return "invalid URI";
      case errc::handshake_failed: return "transport handshake failed";
      case errc::serializer_unsupported: return "serializer unsupported by peer";
      case errc::max_length_unacceptable: return "maximum message length unacceptable";
      case errc::reserved_bits_used: return "use of reserved bits";
      case errc::max_connections_reached: return "maximum connection count reached";
      case errc::bad_frame: return "invalid transport frame";
      case errc::send_queue_full: return "outgoing queue full";
      case errc::not_connected: return "transport not connected";
      case errc::handshake_timeout: return "transport handshake timed out";
      case errc::tls_certificate_untrusted:
        return "TLS: the server's certificate is not trusted (unknown or self-signed issuer, or expired)";
      case errc::tls_host_name_mismatch: return "TLS: the server's certificate does not match the host name";
      case errc::tls_bad_configuration: return "TLS: the CA certificates given (ca_file / ca_pem) cannot be loaded";
      case errc::unrepresentable:
        return "a value this serializer cannot carry faithfully (JSON: NaN, Infinity, or text starting with NUL)";
      case errc::decoded_too_large: return "decoded payload exceeds the memory limit";
    }
    return "unknown wamp error";
  }
};

}  // namespace

const boost::system::error_category& wamp_category() noexcept {
  static const category instance;
  return instance;
}

bool is_encoding_error(const boost::system::error_code& ec) noexcept {
  return ec == errc::invalid_utf8 || ec == errc::nesting_too_deep || ec == errc::message_too_large ||
         ec == errc::unrepresentable;
}

}  // namespace autobahn_sync::wamp

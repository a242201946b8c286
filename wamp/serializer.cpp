#include "wamp/serializer.hpp"

namespace autobahn_sync::wamp {

const serializer& serializer_for(serializer_kind kind) noexcept {
  return kind == serializer_kind::msgpack ? msgpack_serializer() : json_serializer();
}

const serializer* find_serializer(std::string_view subprotocol) noexcept {
  if (subprotocol == json_serializer().subprotocol()) return &json_serializer();
  if (subprotocol == msgpack_serializer().subprotocol()) return &msgpack_serializer();
  return nullptr;
}

const serializer* find_serializer(int rawsocket_id) noexcept {
  if (rawsocket_id == static_cast<int>(serializer_kind::json)) return &json_serializer();
  if (rawsocket_id == static_cast<int>(serializer_kind::msgpack)) return &msgpack_serializer();
  return nullptr;
}

}  // namespace autobahn_sync::wamp

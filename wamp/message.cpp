#include "wamp/message.hpp"

namespace autobahn_sync::wamp {
namespace {

template <class T>
struct type_code;
#define AUTOBAHN_SYNC_TYPE_CODE(T) \
  template <>                      \
  struct type_code<T> {            \
    static constexpr message_type value = message_type::T; \
  };
AUTOBAHN_SYNC_TYPE_CODE(hello)
AUTOBAHN_SYNC_TYPE_CODE(welcome)
AUTOBAHN_SYNC_TYPE_CODE(abort)
AUTOBAHN_SYNC_TYPE_CODE(challenge)
AUTOBAHN_SYNC_TYPE_CODE(authenticate)
AUTOBAHN_SYNC_TYPE_CODE(goodbye)
AUTOBAHN_SYNC_TYPE_CODE(error)
AUTOBAHN_SYNC_TYPE_CODE(publish)
AUTOBAHN_SYNC_TYPE_CODE(published)
AUTOBAHN_SYNC_TYPE_CODE(subscribe)
AUTOBAHN_SYNC_TYPE_CODE(subscribed)
AUTOBAHN_SYNC_TYPE_CODE(unsubscribe)
AUTOBAHN_SYNC_TYPE_CODE(unsubscribed)
AUTOBAHN_SYNC_TYPE_CODE(event)
AUTOBAHN_SYNC_TYPE_CODE(call)
AUTOBAHN_SYNC_TYPE_CODE(cancel)
AUTOBAHN_SYNC_TYPE_CODE(result)
AUTOBAHN_SYNC_TYPE_CODE(register_)
AUTOBAHN_SYNC_TYPE_CODE(registered)
AUTOBAHN_SYNC_TYPE_CODE(unregister)
AUTOBAHN_SYNC_TYPE_CODE(unregistered)
AUTOBAHN_SYNC_TYPE_CODE(invocation)
AUTOBAHN_SYNC_TYPE_CODE(interrupt)
AUTOBAHN_SYNC_TYPE_CODE(yield)
#undef AUTOBAHN_SYNC_TYPE_CODE

}  // namespace

message_type type_of(const message& msg) noexcept {
  return std::visit([](const auto& m) { return type_code<std::decay_t<decltype(m)>>::value; },
                    msg);
}

std::string_view name_of(message_type type) noexcept {
  switch (type) {
    case message_type::hello: return "HELLO";
    case message_type::welcome: return "WELCOME";
    case message_type::abort: return "ABORT";
    case message_type::challenge: return "CHALLENGE";
    case message_type::authenticate: return "AUTHENTICATE";
    case message_type::goodbye: return "GOODBYE";
    case message_type::error: return "ERROR";
    case message_type::publish: return "PUBLISH";
    case message_type::published: return "PUBLISHED";
    case message_type::subscribe: return "SUBSCRIBE";
    case message_type::subscribed: return "SUBSCRIBED";
    case message_type::unsubscribe: return "UNSUBSCRIBE";
    case message_type::unsubscribed: return "UNSUBSCRIBED";
    case message_type::event: return "EVENT";
    case message_type::call: return "CALL";
    case message_type::cancel: return "CANCEL";
    case message_type::result: return "RESULT";
    case message_type::register_: return "REGISTER";
    case message_type::registered: return "REGISTERED";
    case message_type::unregister: return "UNREGISTER";
    case message_type::unregistered: return "UNREGISTERED";
    case message_type::invocation: return "INVOCATION";
    case message_type::interrupt: return "INTERRUPT";
    case message_type::yield: return "YIELD";
  }
  return "UNKNOWN";
}

bool is_known_message_type(std::int64_t code) noexcept {
  return code >= 0 && code <= 70 && name_of(static_cast<message_type>(code)) != "UNKNOWN";
}

}  // namespace autobahn_sync::wamp

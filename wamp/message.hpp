// Every WAMP v2 message of the Basic and Advanced profiles as a typed value, and `message`, the
// variant of all of them. Field names and order follow the specification's message layouts.
//
// Empty trailing `args`/`kwargs` are omitted on the wire (codec.hpp); here they are just empty.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "wamp/value.hpp"

namespace autobahn_sync::wamp {

/// The message type codes of the WAMP v2 specification.
enum class message_type : int {
  hello = 1,
  welcome = 2,
  abort = 3,
  challenge = 4,
  authenticate = 5,
  goodbye = 6,
  error = 8,
  publish = 16,
  published = 17,
  subscribe = 32,
  subscribed = 33,
  unsubscribe = 34,
  unsubscribed = 35,
  event = 36,
  call = 48,
  cancel = 49,
  result = 50,
  register_ = 64,
  registered = 65,
  unregister = 66,
  unregistered = 67,
  invocation = 68,
  interrupt = 69,
  yield = 70,
};

// [HELLO, Realm|uri, Details|dict]
struct hello {
  uri realm;
  dict details;
  bool operator==(const hello&) const = default;
};

// [WELCOME, Session|id, Details|dict]
struct welcome {
  id session = 0;
  dict details;
  bool operator==(const welcome&) const = default;
};

// [ABORT, Details|dict, Reason|uri]
struct abort {
  dict details;
  uri reason;
  bool operator==(const abort&) const = default;
};

// [CHALLENGE, AuthMethod|string, Extra|dict]
struct challenge {
  std::string authmethod;
  dict extra;
  bool operator==(const challenge&) const = default;
};

// [AUTHENTICATE, Signature|string, Extra|dict]
struct authenticate {
  std::string signature;
  dict extra;
  bool operator==(const authenticate&) const = default;
};

// [GOODBYE, Details|dict, Reason|uri]
struct goodbye {
  dict details;
  uri reason;
  bool operator==(const goodbye&) const = default;
};

// [ERROR, REQUEST.Type|int, REQUEST.Request|id, Details|dict, Error|uri, Arguments|list,
//  ArgumentsKw|dict]
struct error {
  message_type request_type = message_type::call;
  id request = 0;
  dict details;
  uri error_uri;
  list args;
  dict kwargs;
  bool operator==(const error&) const = default;
};

// [PUBLISH, Request|id, Options|dict, Topic|uri, Arguments|list, ArgumentsKw|dict]
struct publish {
  id request = 0;
  dict options;
  uri topic;
  list args;
  dict kwargs;
  bool operator==(const publish&) const = default;
};

// [PUBLISHED, PUBLISH.Request|id, Publication|id]
struct published {
  id request = 0;
  id publication = 0;
  bool operator==(const published&) const = default;
};

// [SUBSCRIBE, Request|id, Options|dict, Topic|uri]
struct subscribe {
  id request = 0;
  dict options;
  uri topic;
  bool operator==(const subscribe&) const = default;
};

// [SUBSCRIBED, SUBSCRIBE.Request|id, Subscription|id]
struct subscribed {
  id request = 0;
  id subscription = 0;
  bool operator==(const subscribed&) const = default;
};

// [UNSUBSCRIBE, Request|id, SUBSCRIBED.Subscription|id]
struct unsubscribe {
  id request = 0;
  id subscription = 0;
  bool operator==(const unsubscribe&) const = default;
};

// [UNSUBSCRIBED, UNSUBSCRIBE.Request|id] or, when the router revokes a subscription (Advanced
// profile), [UNSUBSCRIBED, 0, Details|dict] with `subscription` and `reason` in Details.
struct unsubscribed {
  id request = 0;
  dict details;  // omitted on the wire when empty
  bool operator==(const unsubscribed&) const = default;
};

// [EVENT, SUBSCRIBED.Subscription|id, PUBLISHED.Publication|id, Details|dict,
//  PUBLISH.Arguments|list, PUBLISH.ArgumentsKw|dict]
struct event {
  id subscription = 0;
  id publication = 0;
  dict details;
  list args;
  dict kwargs;
  bool operator==(const event&) const = default;
};

// [CALL, Request|id, Options|dict, Procedure|uri, Arguments|list, ArgumentsKw|dict]
struct call {
  id request = 0;
  dict options;
  uri procedure;
  list args;
  dict kwargs;
  bool operator==(const call&) const = default;
};

// [CANCEL, CALL.Request|id, Options|dict]
struct cancel {
  id request = 0;
  dict options;
  bool operator==(const cancel&) const = default;
};

// [RESULT, CALL.Request|id, Details|dict, YIELD.Arguments|list, YIELD.ArgumentsKw|dict]
struct result {
  id request = 0;
  dict details;
  list args;
  dict kwargs;
  bool operator==(const result&) const = default;
};

// [REGISTER, Request|id, Options|dict, Procedure|uri]
struct register_ {
  id request = 0;
  dict options;
  uri procedure;
  bool operator==(const register_&) const = default;
};

// [REGISTERED, REGISTER.Request|id, Registration|id]
struct registered {
  id request = 0;
  id registration = 0;
  bool operator==(const registered&) const = default;
};

// [UNREGISTER, Request|id, REGISTERED.Registration|id]
struct unregister {
  id request = 0;
  id registration = 0;
  bool operator==(const unregister&) const = default;
};

// [UNREGISTERED, UNREGISTER.Request|id] or, when the router revokes a registration (Advanced
// profile), [UNREGISTERED, 0, Details|dict] with `registration` and `reason` in Details.
struct unregistered {
  id request = 0;
  dict details;  // omitted on the wire when empty
  bool operator==(const unregistered&) const = default;
};

// [INVOCATION, Request|id, REGISTERED.Registration|id, Details|dict, CALL.Arguments|list,
//  CALL.ArgumentsKw|dict]
struct invocation {
  id request = 0;
  id registration = 0;
  dict details;
  list args;
  dict kwargs;
  bool operator==(const invocation&) const = default;
};

// [INTERRUPT, INVOCATION.Request|id, Options|dict]
struct interrupt {
  id request = 0;
  dict options;
  bool operator==(const interrupt&) const = default;
};

// [YIELD, INVOCATION.Request|id, Options|dict, Arguments|list, ArgumentsKw|dict]
struct yield {
  id request = 0;
  dict options;
  list args;
  dict kwargs;
  bool operator==(const yield&) const = default;
};

/// Any WAMP message. The alternatives are in the order of their type codes.
using message = std::variant<hello, welcome, abort, challenge, authenticate, goodbye, error,
                             publish, published, subscribe, subscribed, unsubscribe,
                             unsubscribed, event, call, cancel, result, register_, registered,
                             unregister, unregistered, invocation, interrupt, yield>;

/// The type code of a message.
message_type type_of(const message& msg) noexcept;

/// The specification's name of a message type ("CALL", "YIELD"), or "UNKNOWN".
std::string_view name_of(message_type type) noexcept;

/// True when `code` is one of the type codes above.
bool is_known_message_type(std::int64_t code) noexcept;

}  // namespace autobahn_sync::wamp

// The client's built-in answers to a CHALLENGE, from client_options::ticket, secret and
// private_key: what the client sends when the application set no on_challenge handler.
#pragma once

#include <string>
#include <vector>

#include "client/options.hpp"
#include "wamp/message.hpp"

namespace autobahn_sync::detail {

/// The AUTHENTICATE for `c` from the credentials in `options`. Throws (the join then ends
/// with ABORT wamp.error.cannot_authenticate) when `c` is for a method not among `offered`
/// (the HELLO's authmethods: a router that asks a client offering wampcra for its ticket
/// gets no ticket in clear), when no credential fits, or when the challenge is malformed or
/// asks for too much work (salted wampcra: at most 1,000,000 iterations and 1024 bytes).
wamp::authenticate answer_with_credentials(const wamp::challenge& c, const client_options& options,
                                           const std::vector<std::string>& offered);

}  // namespace autobahn_sync::detail

// Handlers the client tests register: small procedures with an obvious answer.
#pragma once

#include "client/autobahn_sync.hpp"

namespace autobahn_sync::test {

/// Answers with the call's own arguments.
inline call_result echo(const wamp::list& args, const wamp::dict& kwargs, const invocation_details&) {
  return call_result{args, kwargs};
}

/// Answers with the sum of its first two (integer) arguments, and its keyword arguments
/// under "echo".
inline call_result add(const wamp::list& args, const wamp::dict& kwargs, const invocation_details&) {
  return call_result{{args.at(0).get<int>() + args.at(1).get<int>()}, {{"echo", kwargs}}};
}

}  // namespace autobahn_sync::test

// Handlers the client tests register: small procedures with an obvious answer.
#pragma once

#include "client/autobahn_sync.hpp"

namespace autobahn_sync::test {

/// Answers with the call's own arguments.
inline call_result echo(const wamp::list& args, const wamp::dict& kwargs, const invocation_details&) {
  return call_result{args, kwargs};
}

}  // namespace autobahn_sync::test

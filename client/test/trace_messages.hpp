// Typed views of a wamp_fixture's message trace for the client tests: "the HELLOs the client
// named `app` sent", "the WELCOME it received". The trace records a message as it passes
// between the client and the router, so what a blocking call waited for is already there.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "testing/wamp_fixture.hpp"

namespace autobahn_sync::test {

template <class T>
std::vector<T> trace_messages(testing::wamp_fixture& f, testing::direction dir, const std::string& session) {
  std::vector<T> out;
  for (const auto& e : f.trace().entries()) {
    if (e.dir != dir || e.session != session) continue;
    if (const auto* m = std::get_if<T>(&e.msg)) out.push_back(*m);
  }
  return out;
}

/// The messages of type T the client named `session` sent to the router, in order.
template <class T>
std::vector<T> sent_by(testing::wamp_fixture& f, const std::string& session) {
  return trace_messages<T>(f, testing::direction::to_router, session);
}

/// The messages of type T the router (or a fault rule in its place) sent to that client.
template <class T>
std::vector<T> received_by(testing::wamp_fixture& f, const std::string& session) {
  return trace_messages<T>(f, testing::direction::to_client, session);
}

}  // namespace autobahn_sync::test

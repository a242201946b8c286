// `eventually`: a bounded wait for a condition that nothing notifies (the message trace, a
// rule's hits or held messages, the router's tables). It polls until the condition holds or
// the deadline passes — a hang guard, never a sleep: it returns as soon as the condition holds.
//
//   REQUIRE(testing::eventually([&] { return !f.trace().of_type(wamp::message_type::cancel).empty(); }));
//
// Not for simulations (nothing runs there while the test thread polls): use a recorder.
// Thread safety: call from any thread; `condition` must be safe to call from it.
#pragma once

#include <chrono>
#include <thread>

namespace autobahn_sync::testing {

/// True once `condition()` holds; false if it still does not after `deadline`.
template <class Condition>
bool eventually(Condition&& condition, std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= until) return condition();
    std::this_thread::yield();
  }
  return true;
}

}  // namespace autobahn_sync::testing

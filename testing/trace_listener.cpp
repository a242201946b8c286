// A Catch2 listener that prints the running fixture's message trace when an assertion fails,
// so a failing WAMP test shows what went over the wire; and, when the test ran a simulation,
// the one-line command that replays it with the same seed.
#include <iostream>

// Listener base classes are part of Catch2's external interfaces.
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include <catch2/catch.hpp>

#include "testing/message_trace.hpp"
#include "testing/simulation.hpp"

namespace autobahn_sync::testing {

message_trace* running_fixture_trace();

namespace {

class trace_listener : public Catch::TestEventListenerBase {
 public:
  using TestEventListenerBase::TestEventListenerBase;

  bool assertionEnded(const Catch::AssertionStats& stats) override {
    if (!stats.assertionResult.isOk() && !printed_) {
      if (message_trace* trace = running_fixture_trace()) {
        printed_ = true;
        std::cerr << "---- WAMP message trace (" << trace->size() << " messages) ----\n"
                  << trace->format() << "---- end of trace ----\n";
      }
    }
    if (!stats.assertionResult.isOk() && !replay_printed_) {
      if (const auto seed = last_simulation_seed()) {
        replay_printed_ = true;
        std::cerr << "replay: " << replay_command(*seed, test_name_) << "\n";
      }
    }
    return true;
  }

  void testCaseStarting(const Catch::TestCaseInfo& info) override {
    printed_ = false;
    replay_printed_ = false;
    test_name_ = info.name;
    forget_last_simulation_seed();
  }

 private:
  bool printed_ = false;
  bool replay_printed_ = false;
  std::string test_name_;
};

}  // namespace
}  // namespace autobahn_sync::testing

using autobahn_sync::testing::trace_listener;
CATCH_REGISTER_LISTENER(trace_listener)

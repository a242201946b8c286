// The soak and load tool: bazel run -c opt //testing/soak -- [--sessions 1000] [--calls 1000000]
// [--events 1000000] [--transports rawsocket,websocket] [--serializer msgpack|json]
// [--max-seconds N]. Prints progress and a summary table; exits 1 on any lost, duplicated or
// misrouted message, a timeout, or RSS growth past the tolerance after warm-up (2 on bad flags).
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "testing/soak/soak.hpp"

namespace soak = autobahn_sync::testing::soak;

int main(int argc, char** argv) {
  soak::command_line command;
  try {
    command = soak::parse_command_line(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const std::invalid_argument& e) {
    std::cerr << "soak: " << e.what() << "\n" << soak::usage();
    return 2;
  }
  if (command.help) {
    std::cout << soak::usage();
    return 0;
  }
  command.options.log = [](const std::string& line) { std::cout << line << std::endl; };
  try {
    const auto report = soak::run_soak(command.options);
    std::cout << report.describe();
    return report.ok() ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "soak: " << e.what() << "\n";
    return 2;
  }
}

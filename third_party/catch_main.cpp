// The one Catch2 main() of every test binary. Compiled once so each test file only compiles
// its own test cases.
//
// Besides Catch2's own options it takes `--repeat N`: the selected tests run N times in a row in
// one process and the run stops at the first failing pass (Catch2 v2 has no such option). The
// fault-injection tests use it to show they are not flaky.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace {

// Removes `--repeat N` / `--repeat=N` from argv; returns N (1 when absent, 0 when malformed).
int take_repeat_option(int& argc, char** argv) {
  int repeat = 1;
  int out = 1;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string value;
    if (arg == "--repeat" && i + 1 < argc) {
      value = argv[++i];
    } else if (arg.substr(0, 9) == "--repeat=") {
      value = std::string(arg.substr(9));
    } else {
      argv[out++] = argv[i];
      continue;
    }
    char* end = nullptr;
    long n = std::strtol(value.c_str(), &end, 10);
    repeat = (end && *end == '\0' && n > 0 && n <= 1'000'000) ? static_cast<int>(n) : 0;
  }
  argc = out;
  argv[argc] = nullptr;
  return repeat;
}

}  // namespace

int main(int argc, char** argv) {
  const int repeat = take_repeat_option(argc, argv);
  if (repeat == 0) {
    std::cerr << "--repeat wants a positive count\n";
    return 2;
  }
  Catch::Session session;
  if (int rc = session.applyCommandLine(argc, argv); rc != 0) return rc;
  for (int pass = 1; pass <= repeat; ++pass) {
    const int failed = session.run();
    if (repeat > 1) {
      std::cout << "repeat: pass " << pass << " of " << repeat << (failed ? " FAILED" : " passed")
                << std::endl;
    }
    if (failed != 0) return failed;
  }
  return 0;
}

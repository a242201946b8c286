// The one Catch2 main() of every test binary. Compiled once so each test file only compiles
// its own test cases.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

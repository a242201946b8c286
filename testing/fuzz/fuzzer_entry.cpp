// libFuzzer's entry point for one target, chosen at build time (FUZZ_TARGET=index into
// all_targets): one binary per target, built with --config=fuzz (tools/fuzz.sh).
#include "testing/fuzz/fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  autobahn_sync::fuzz::all_targets[FUZZ_TARGET].run(data, size);
  return 0;
}

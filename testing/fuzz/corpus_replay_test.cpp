// Replays every target's corpus (testing/fuzz/corpus/<target>/: the seed inputs and every input
// that once broke a target) with the normal build: a crash found by fuzzing stays fixed.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <catch2/catch.hpp>

#include "testing/fuzz/fuzz_targets.hpp"

namespace fs = std::filesystem;

namespace {

fs::path corpus_root() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  REQUIRE(srcdir);
  REQUIRE(workspace);
  return fs::path(srcdir) / workspace / "testing" / "fuzz" / "corpus";
}

}  // namespace

TEST_CASE("every fuzz target survives its corpus", "[fuzz]") {
  for (const auto& t : autobahn_sync::fuzz::all_targets) {
    const auto dir = corpus_root() / std::string(t.name);
    INFO(dir.string());
    REQUIRE(fs::is_directory(dir));
    int inputs = 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
      std::ifstream in(entry.path(), std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      t.run(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
      ++inputs;
    }
    CHECK(inputs >= 3);
  }
}

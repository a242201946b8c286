// Encode and decode cost of one CALL per serializer and payload size: the share of a call's
// latency that serialization takes (a round trip encodes and decodes four messages).
#include <string>

#include <benchmark/benchmark.h>

#include "wamp/serializer.hpp"

namespace wamp = autobahn_sync::wamp;

namespace {

wamp::message call_with_payload(std::size_t size) {
  return wamp::call{7814135, {}, "com.example.echo", {std::string(size, 'x')}, {{"n", 1}}};
}

void BM_encode(benchmark::State& state, wamp::serializer_kind kind) {
  const auto& s = wamp::serializer_for(kind);
  const auto msg = call_with_payload(static_cast<std::size_t>(state.range(0)));
  std::string out;
  for (auto _ : state) {
    if (s.encode(msg, out)) state.SkipWithError("encode failed");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * out.size()));
}

void BM_decode(benchmark::State& state, wamp::serializer_kind kind) {
  const auto& s = wamp::serializer_for(kind);
  std::string bytes;
  if (s.encode(call_with_payload(static_cast<std::size_t>(state.range(0))), bytes)) {
    state.SkipWithError("encode failed");
    return;
  }
  for (auto _ : state) {
    auto r = s.decode(bytes);
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
}

}  // namespace

BENCHMARK_CAPTURE(BM_encode, json, wamp::serializer_kind::json)->Arg(16)->Arg(4096)->Arg(65536);
BENCHMARK_CAPTURE(BM_encode, msgpack, wamp::serializer_kind::msgpack)->Arg(16)->Arg(4096)->Arg(65536);
BENCHMARK_CAPTURE(BM_decode, json, wamp::serializer_kind::json)->Arg(16)->Arg(4096)->Arg(65536);
BENCHMARK_CAPTURE(BM_decode, msgpack, wamp::serializer_kind::msgpack)->Arg(16)->Arg(4096)->Arg(65536);

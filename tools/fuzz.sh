#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for a bounded time,
# starting from its corpus in testing/fuzz/corpus/<target>/. New interesting inputs go to a
# scratch folder; a crash leaves its input as ./crash-* and fails the run (copy it into the
# target's corpus folder as crash-<what> when the fix lands: the replay test keeps it fixed).
#
#   tools/fuzz.sh              every target, 30 s each
#   tools/fuzz.sh 600          every target, 10 min each (a long run)
#   tools/fuzz.sh 60 router_session
#   FUZZ_OUTPUT_BASE=~/.cache/my-fuzz tools/fuzz.sh 20
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(json_decode msgpack_decode router_session client_session rawsocket_stream websocket_upgrade)

tools/bootstrap.sh fuzz
# A separate output base: switching CC re-configures the C++ toolchain. An output base belongs
# to one workspace: give each checkout its own (FUZZ_OUTPUT_BASE) when several fuzz at once.
bazel_fuzz=(bazel --output_base="${FUZZ_OUTPUT_BASE:-$HOME/.cache/autobahn-sync-bazel-fuzz}")
labels=()
for t in "${targets[@]}"; do labels+=("//testing/fuzz:${t}_fuzzer"); done
# No convenience symlinks: bazel-bin etc. stay the normal build's (pointing them here would make
# a later `bazel test //...` descend into this output base and fail to load).
"${bazel_fuzz[@]}" build --config=fuzz --symlink_prefix=/ "${labels[@]}"
bin=$("${bazel_fuzz[@]}" info --config=fuzz bazel-bin)

status=0
for t in "${targets[@]}"; do
  scratch=$(mktemp -d)
  echo "fuzz: $t for ${seconds}s"
  if ! "$bin/testing/fuzz/${t}_fuzzer" -max_total_time="$seconds" -print_final_stats=1 \
      -artifact_prefix="./crash-$t-" "$scratch" "testing/fuzz/corpus/$t" 2>"/tmp/fuzz-$t.log"; then
    echo "fuzz: $t FAILED; see /tmp/fuzz-$t.log and ./crash-$t-*"
    tail -30 "/tmp/fuzz-$t.log"
    status=1
  else
    grep -E "stat::number_of_executed_units|cov:" "/tmp/fuzz-$t.log" | tail -2 | sed "s/^/fuzz: $t: /"
    echo "fuzz: $t passed"
  fi
  rm -rf "$scratch"
done
exit $status

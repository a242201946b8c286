#!/usr/bin/env bash
# Runs the whole test suite: installs what is missing, builds, runs every test target, and
# ends with one line "N passed, N failed" counting Catch2 test cases across all targets (a
# target that failed to build, crashed or timed out counts as one failed).
#
#   tools/test.sh                     everything
#   tools/test.sh //router/...        some targets
#   tools/test.sh --config=asan       extra Bazel flags are passed through
#   FUZZ_SECONDS=0 tools/test.sh      everything but the bounded fuzzing run
set -uo pipefail
cd "$(dirname "$0")/.."
tools/bootstrap.sh || exit 1

flags=()
targets=()
for a in "$@"; do
  case "$a" in
    -*) flags+=("$a") ;;
    *) targets+=("$a") ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(//...)

bazel test --keep_going --nocache_test_results "${flags[@]}" -- "${targets[@]}"
bazel_status=$?

testlogs=$(bazel info "${flags[@]}" bazel-testlogs 2>/dev/null)
query=$(printf ' + tests(%s)' "${targets[@]}")
mapfile -t test_targets < <(bazel query "${query:3}" 2>/dev/null)

passed=0
failed=0
for t in "${test_targets[@]}"; do
  rel=${t#//}
  rel=${rel/://}
  # The target's own log; shard or run logs (run_1_of_N/...) only when there is none, so logs
  # left by an earlier --runs_per_test are not counted again.
  if [ -f "$testlogs/$rel/test.log" ]; then
    logs="$testlogs/$rel/test.log"
  else
    logs=$(find "$testlogs/$rel" -name test.log 2>/dev/null)
  fi
  if [ -z "$logs" ]; then
    echo "no test log: $t (did not build?)"
    failed=$((failed + 1))
    continue
  fi
  for log in $logs; do
    # Catch2 v2 closes with "All tests passed (A assertions in N test cases)" or
    # "test cases: N | P passed | F failed".
    counts=$(awk '
      /^All tests passed/ { for (i = 1; i <= NF; i++) if ($i == "in") n = $(i + 1); p = n; f = 0; found = 1 }
      /^test cases:/ { p = 0; f = 0
        for (i = 1; i <= NF; i++) { if ($i ~ /^passed/) p = $(i - 1); if ($i ~ /^failed/) f = $(i - 1) }
        found = 1 }
      END { if (found) print p + 0, f + 0 }' "$log")
    if [ -z "$counts" ]; then
      echo "no Catch2 summary (crash or timeout?): $t"
      failed=$((failed + 1))
    else
      read -r p f <<<"$counts"
      passed=$((passed + p))
      failed=$((failed + f))
      [ "$f" -eq 0 ] || echo "failures in $t: see $log"
    fi
  done
done

# The whole suite (no targets or flags given) also fuzzes each libFuzzer target for a bounded
# time (FUZZ_SECONDS, default 20; 0 skips it): each target counts as one test.
fuzz_seconds=${FUZZ_SECONDS:-20}
if [ "$#" -eq 0 ] && [ "$fuzz_seconds" -gt 0 ]; then
  fuzz_log=$(mktemp)
  tools/fuzz.sh "$fuzz_seconds" 2>&1 | tee "$fuzz_log" | grep -E "^fuzz: " || true
  fuzz_passed=$(grep -c "^fuzz: .* passed$" "$fuzz_log" || true)
  fuzz_failed=$(grep -c "^fuzz: .* FAILED" "$fuzz_log" || true)
  # A build failure runs no target: count it as one failure.
  if [ "$fuzz_passed" -eq 0 ] && [ "$fuzz_failed" -eq 0 ]; then
    echo "fuzz: the fuzz targets did not build; see $fuzz_log"
    fuzz_failed=1
  fi
  passed=$((passed + fuzz_passed))
  failed=$((failed + fuzz_failed))
fi

echo "${passed} passed, ${failed} failed"
[ "$bazel_status" -eq 0 ] && [ "$failed" -eq 0 ]

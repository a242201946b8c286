#!/usr/bin/env bash
# Runs the whole test suite: installs what is missing, builds, runs every test target, and
# ends with one line "N passed, N failed" counting Catch2 test cases across all targets (a
# target that failed to build, crashed or timed out counts as one failed).
#
#   tools/test.sh                     everything
#   tools/test.sh //router/...        some targets
#   tools/test.sh --config=asan       extra Bazel flags are passed through
#   FUZZ_SECONDS=0 tools/test.sh      everything but the bounded fuzzing run
#   SANITIZERS= tools/test.sh         everything but the sanitizer runs
#
# The whole suite (no targets or flags given) has three more stages after the plain run:
# the fault-injection tests repeated 200 times (their targets pass --repeat=200 themselves),
# ASan + UBSan over every test but the interop ones, TSan over the concurrency tests, and
# each libFuzzer target fuzzed for a bounded time.
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
whole_suite=0
if [ ${#targets[@]} -eq 0 ]; then
  targets=(//...)
  [ ${#flags[@]} -eq 0 ] && whole_suite=1
fi

passed=0
failed=0
status=0

# Runs `bazel test FLAGS -- TARGETS` and adds its Catch2 counts to passed/failed.
#   run_tests LABEL "FLAGS..." TARGETS...
run_tests() {
  local label=$1
  local -a run_flags
  read -r -a run_flags <<<"$2"
  shift 2
  local -a run_targets=("$@")
  [ -n "$label" ] && echo "== $label"
  bazel test --keep_going --nocache_test_results "${run_flags[@]}" -- "${run_targets[@]}" || status=1

  local testlogs query f
  local -a info_flags=()  # bazel info refuses test-only options
  for f in "${run_flags[@]}"; do [[ "$f" == --test_* ]] || info_flags+=("$f"); done
  testlogs=$(bazel info "${info_flags[@]}" bazel-testlogs 2>/dev/null)
  query=$(printf ' + tests(%s)' "${run_targets[@]}")
  # Exclusions (-//x/...) become "except" terms.
  query=$(sed -E 's/ \+ tests\(-([^)]*)\)/ except tests(\1)/g' <<<"${query:3}")
  local -a test_targets
  mapfile -t test_targets < <(bazel query "$query" 2>/dev/null)

  local t rel logs log counts p
  for t in "${test_targets[@]}"; do
    rel=${t#//}
    rel=${rel/://}
    # The target's own log; shard or run logs (run_1_of_N/...) only when there is none, so
    # logs left by an earlier --runs_per_test are not counted again.
    if [ -f "$testlogs/$rel/test.log" ]; then
      logs="$testlogs/$rel/test.log"
    else
      logs=$(find "$testlogs/$rel" -name test.log 2>/dev/null)
    fi
    if [ -z "$logs" ]; then
      echo "no test log: $label $t (did not build?)"
      failed=$((failed + 1))
      continue
    fi
    for log in $logs; do
      # Catch2 v2 closes with "All tests passed (A assertions in N test cases)" or
      # "test cases: N | P passed | F failed | E failed as expected" (a [!shouldfail] test
      # that failed passed); a repeated run prints one per pass and the last one counts.
      counts=$(awk '
        /^All tests passed/ { for (i = 1; i <= NF; i++) if ($i == "in") n = $(i + 1); p = n; f = 0; found = 1 }
        /^test cases:/ { p = 0; f = 0; e = 0
          for (i = 1; i <= NF; i++) {
            if ($i ~ /^passed/) p = $(i - 1)
            if ($i ~ /^failed/) { if ($(i + 1) == "as") e = $(i - 1); else f = $(i - 1) }
          }
          p += e; found = 1 }
        END { if (found) print p + 0, f + 0 }' "$log")
      if [ -z "$counts" ]; then
        echo "no Catch2 summary (crash or timeout?): $label $t"
        failed=$((failed + 1))
      else
        read -r p f <<<"$counts"
        passed=$((passed + p))
        failed=$((failed + f))
        [ "$f" -eq 0 ] || echo "failures in $label $t: see $log"
      fi
    done
  done
}

run_tests "" "${flags[*]}" "${targets[@]}"

if [ "$whole_suite" -eq 1 ]; then
  # Sanitizers: ASan + UBSan over everything but the interop tests (their peers are other
  # processes) and the Python/shell tests; TSan over the tests where threads meet. Repeated
  # tests run once here (--repeat=1 overrides their own count).
  for s in ${SANITIZERS-asan tsan}; do
    case "$s" in
      asan) run_tests "asan" "--config=asan --test_arg=--repeat=1" \
              //... -//testing/interop/... -//tools/... ;;
      tsan) run_tests "tsan" "--config=tsan --test_arg=--repeat=1" \
              //client/test/... //testing:all //wamp/transport/... \
              //router:router_test ;;
      *) echo "unknown sanitizer $s"; failed=$((failed + 1)) ;;
    esac
  done

  # Each libFuzzer target fuzzed for a bounded time (FUZZ_SECONDS, default 30; 0 skips it):
  # each target counts as one test.
  fuzz_seconds=${FUZZ_SECONDS:-30}
  if [ "$fuzz_seconds" -gt 0 ]; then
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
fi

echo "${passed} passed, ${failed} failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]

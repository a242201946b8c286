#!/usr/bin/env bash
# Runs the whole test suite: installs what is missing, builds, runs every test target, and
# ends with one line "N passed, N failed" counting Catch2 test cases across all targets (a
# target that failed to build, crashed or timed out counts as one failed). Just before that
# line, each failing target is named again with the failing part of its log.
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
failure_reports=()  # "label target log" of each target with a failure, reported at the end

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
      failure_reports+=("${label:-plain} $t -")
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
        failure_reports+=("${label:-plain} $t $log")
      else
        read -r p f <<<"$counts"
        passed=$((passed + p))
        failed=$((failed + f))
        if [ "$f" -ne 0 ]; then
          echo "failures in $label $t: see $log"
          failure_reports+=("${label:-plain} $t $log")
        fi
      fi
    done
  done
}

run_tests "" "${flags[*]}" "${targets[@]}"

if [ "$whole_suite" -eq 1 ]; then
  # Sanitizers: ASan + UBSan over everything but the interop tests (their peers are other
  # processes) and the Python/shell tests; TSan over the tests where threads meet. Repeated
  # tests run once here (--repeat=1 overrides their own count). Only what the tests need is
  # built (--build_tests_only): the benchmarks and tools are built by the plain run above.
  for s in ${SANITIZERS-asan tsan}; do
    case "$s" in
      asan) run_tests "asan" "--config=asan --build_tests_only --test_arg=--repeat=1" \
              //... -//testing/interop/... -//tools/... ;;
      tsan) run_tests "tsan" "--config=tsan --build_tests_only --test_arg=--repeat=1" \
              //client/test/... //testing:all //wamp/transport/... \
              //router:router_test ;;
      *) echo "unknown sanitizer $s"; failed=$((failed + 1)) ;;
    esac
  done

  # Each libFuzzer target fuzzed for a bounded time (FUZZ_SECONDS, default 20, enough to
  # replay the corpus and explore a little; tools/fuzz.sh 600 is a long run; 0 skips it):
  # each target counts as one test.
  fuzz_seconds=${FUZZ_SECONDS:-20}
  if [ "$fuzz_seconds" -gt 0 ]; then
    fuzz_log=$(mktemp)
    tools/fuzz.sh "$fuzz_seconds" 2>&1 | tee "$fuzz_log" | grep -E "^fuzz: " || true
    fuzz_passed=$(grep -c "^fuzz: .* passed$" "$fuzz_log" || true)
    fuzz_failed=$(grep -c "^fuzz: .* FAILED" "$fuzz_log" || true)
    # A build failure runs no target: count it as one failure.
    if [ "$fuzz_passed" -eq 0 ] && [ "$fuzz_failed" -eq 0 ]; then
      echo "fuzz: the fuzz targets did not build; see $fuzz_log"
      fuzz_failed=1
      failure_reports+=("fuzz build $fuzz_log")
    fi
    # "fuzz: TARGET FAILED; see /tmp/fuzz-TARGET.log ...": the end of that log is the report.
    while read -r _ target _ _ target_log _; do
      failure_reports+=("fuzz $target $target_log")
    done < <(grep "^fuzz: .* FAILED" "$fuzz_log" || true)
    passed=$((passed + fuzz_passed))
    failed=$((failed + fuzz_failed))
  fi
fi

# What failed, last, so that the tail of the output (all a CI page may show) names it: the
# first failing pass of each log (a repeated test prints one per pass), up to three of its
# FAILED sections with the test case and expansion around them; or the end of a log without
# a Catch2 summary after its last pass (a crash, a sanitizer report, a timeout).
for report in "${failure_reports[@]}"; do
  read -r label t log <<<"$report"
  echo "== failed: $label $t"
  if [ "$log" = "-" ]; then
    echo "   (no test log: it did not build)"
    continue
  fi
  awk '
    { buf[n++] = $0 }
    /^All tests passed/ { n = 0 }
    /^test cases:/ {
      f = 0
      for (i = 1; i <= NF; i++) if ($i ~ /^failed/ && $(i + 1) != "as") f = $(i - 1)
      if (f > 0) {
        shown = 0
        for (j = 0; j < n && shown < 3; j++) {
          if (buf[j] !~ /FAILED:$/) continue
          for (k = (j > 8 ? j - 8 : 0); k <= j + 6 && k < n; k++) print "   " substr(buf[k], 1, 240)
          print "   ..."
          shown++
        }
        found = 1
        exit
      }
      n = 0
    }
    END { if (!found) for (j = (n > 15 ? n - 15 : 0); j < n; j++) print "   " substr(buf[j], 1, 240) }' "$log"
done

echo "${passed} passed, ${failed} failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]

#!/bin/bash
# Runs the hidden demos of simulation_test: a failing simulated test must print the command
# that replays it with its seed, and --rng-seed must seed a simulation.
set -u
bin="$1"
out=$("$bin" "[sim-demo-failure]" 2>&1)
rc=$?
if [ "$rc" -eq 0 ]; then
  echo "the deliberately failing demo passed:"; echo "$out"; exit 1
fi
if ! grep -q "^replay: .*WAMP_SIM_SEED=4242 .*'sim demo: a failing simulated test prints its replay line'" <<<"$out"; then
  echo "no replay line in the failure output:"; echo "$out"; exit 1
fi
if ! grep -q "WAMP message trace" <<<"$out"; then
  echo "no message trace in the failure output:"; echo "$out"; exit 1
fi
if ! "$bin" "[sim-rng-seed]" --rng-seed 4321; then
  echo "--rng-seed 4321 did not seed the simulation"; exit 1
fi
echo "ok"

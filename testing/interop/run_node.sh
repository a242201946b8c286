#!/usr/bin/env bash
# Runs a Node interop script from testing/interop/js with the npm packages that
# tools/bootstrap.sh installed there (npm ci, from package-lock.json). The script is resolved
# through its runfiles symlink to the source tree, where node_modules lives: nothing is
# downloaded at test time.
#
# Usage: run_node.sh SCRIPT [ARGS...]
set -euo pipefail
node=$(command -v node || true)
if [ -z "$node" ]; then
  echo "run_node.sh: node is not installed (tools/bootstrap.sh needs Node and npm)" >&2
  exit 2
fi
script=$(readlink -f "$1")
shift
dir=$(dirname "$script")
if [ ! -d "$dir/node_modules" ]; then
  echo "run_node.sh: $dir/node_modules is missing: run tools/bootstrap.sh (npm ci there)" >&2
  exit 2
fi
exec "$node" "$script" "$@"

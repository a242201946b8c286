#!/usr/bin/env bash
# Installs the Debian packages the build needs, when they are missing. Idempotent: when
# everything is present it only asks dpkg and returns.
#
#   tools/bootstrap.sh            packages for building and testing
#   tools/bootstrap.sh bench      also what the benchmark comparison needs
#
# Then the npm packages of the interop tests (testing/interop/js: AutobahnJS, fox-wamp), from
# their lock file, when node_modules is missing or older than the lock file.
set -euo pipefail

packages=(
  bazel-bootstrap       # Bazel 4.2.3, offline with the stand-ins in tools/bazel
  g++
  libboost-dev          # Asio and Beast (1.74, header-only)
  libboost-system-dev
  nlohmann-json3-dev
  libmsgpack-cxx-dev
  catch2
  libbenchmark-dev
  libssl-dev
  python3-autobahn      # interop tests: AutobahnPython against our router
  python3-msgpack
  python3-nacl
  python3-twisted       # interop tests: the Twisted flavour of AutobahnPython
  autobahn-cpp-dev      # interop tests: autobahn-cpp (RawSocket/MsgPack) against our router
  libboost-thread-dev
)
for extra in "$@"; do
  case "$extra" in
    bench) packages+=(autobahn-cpp-dev libboost-thread-dev) ;;
    fuzz) packages+=(clang libclang-rt-14-dev) ;;
    *) echo "bootstrap: unknown extra '$extra'" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]}" >&2
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages of the interop tests. --ignore-scripts: nothing used there needs a native
# build (fox-wamp's optional sqlite store is not loaded), and it keeps this offline-friendly
# after the download and fast (~5 s).
js_dir="$(cd "$(dirname "$0")/.." && pwd)/testing/interop/js"
if [ ! -d "$js_dir/node_modules" ] || [ "$js_dir/package-lock.json" -nt "$js_dir/node_modules/.package-lock.json" ]; then
  if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
    echo "bootstrap: node and npm are needed for the interop tests in testing/interop/js" \
         "(install Node 20 or later with npm)" >&2
    exit 1
  fi
  echo "bootstrap: npm ci in testing/interop/js" >&2
  (cd "$js_dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
fi

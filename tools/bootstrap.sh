#!/usr/bin/env bash
# Installs the Debian packages the build needs, when they are missing. Idempotent: when
# everything is present it only asks dpkg and returns.
#
#   tools/bootstrap.sh            packages for building and testing
#   tools/bootstrap.sh bench      also what the benchmark comparison needs
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
)
for extra in "$@"; do
  case "$extra" in
    bench) packages+=(autobahn-cpp-dev libboost-thread-dev) ;;
    *) echo "bootstrap: unknown extra '$extra'" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "bootstrap: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

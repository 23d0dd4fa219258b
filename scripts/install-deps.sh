#!/bin/bash
# Installs everything the build, the tests and the benchmarks need on a fresh
# Debian 12 machine (run as root, or with sudo available). Packages already
# present are not fetched again, so a second run costs a second.
set -euo pipefail

PACKAGES=(
  meson ninja-build pkg-config g++ gcc python3
  libhwloc-dev libnuma-dev libtbb-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  mpich libmpich-dev openmpi-bin libopenmpi-dev libfabric-bin
  libpsm2-dev libpsm2-2 libpsm-infinipath1-dev
  linux-libc-dev gnuplot-nox iproute2 procps file binutils
  # The sanitizer stages of scripts/test.sh: clang 14 with its runtimes
  # (ASan, UBSan, TSan, libFuzzer).
  clang libclang-rt-14-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"

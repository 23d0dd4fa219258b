#!/bin/bash
# Installs dependencies, builds, and runs a two-process ping-pong over shared
# memory on our library, printing latency and bandwidth.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
bash scripts/install-deps.sh
[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" .
ninja -C "$BUILD"
export LD_LIBRARY_PATH="$PWD/$BUILD${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PSM2_DEVICES=self,shm
"$BUILD/benchmarks/perf/psm2-perf" --mode latency --min-size 8 --max-size 4194304
exec "$BUILD/benchmarks/perf/psm2-perf" --mode bw --min-size 4096 --max-size 4194304

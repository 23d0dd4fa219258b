#!/bin/bash
# A/B comparison through Open MPI (pml cm, mtl psm2; 2 ranks on this host):
# the osu-style program tests/clients/mpi/mpi_osu.c run under psm2-run on
# our libpsm2 and on Debian's libpsm2 11.2.185, alternating run by run. The
# Debian library needs libpsm2-real-quirks.so preloaded on a machine without
# HFI (see real_quirks_preload.c). Prints medians with the ratio per size and
# draws OUT/perf.png.
set -u -o pipefail

usage() {
    cat >&2 <<USAGE
usage: $0 --osu MPI_OSU --psm2-run PSM2_RUN --quirks LIBPSM2_REAL_QUIRKS --ours BUILD_DIR
          --out RESULTS_DIR [--real LIBDIR] [--reps N]
USAGE
    exit 2
}

osu="" psm2_run="" quirks="" ours="" out="" real=/usr/lib/x86_64-linux-gnu reps=5
while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || usage
    case "$1" in
        --osu) osu=$2 ;;
        --psm2-run) psm2_run=$2 ;;
        --quirks) quirks=$2 ;;
        --ours) ours=$2 ;;
        --real) real=$2 ;;
        --out) out=$2 ;;
        --reps) reps=$2 ;;
        *) usage ;;
    esac
    shift 2
done
[ -n "$osu" ] && [ -n "$psm2_run" ] && [ -n "$quirks" ] && [ -n "$ours" ] && [ -n "$out" ] || usage
command -v mpirun.openmpi > /dev/null || { echo "mpi-compare: mpirun.openmpi not installed" >&2; exit 2; }

mkdir -p "$out/raw" || exit 1
rm -f "$out"/raw/*.txt
: > "$out/values.txt"
{
    echo "# Open MPI $(ompi_info --version 2>/dev/null | head -1 | awk '{print $NF}'), pml cm + mtl psm2, 2 ranks, osu-style (window 64)"
    echo "# ours: $(realpath "$ours/libpsm2.so.2")   real: $(realpath "$real/libpsm2.so.2") (+ quirks preload)"
} > "$out/header.txt"
failures=0

# Debian's library removes its /dev/shm segment ("psm2_shm.*") only in
# psm2_finalize, which the quirks preload skips: remove the ones a real run
# created once it is over (their owners have exited).
real_segments() { ls /dev/shm 2> /dev/null | grep '^psm2_shm\.' | sort; }

run_one() {
    local lib=$1 dir=$2 rep=$3 preload="" before ok=1
    local raw="$out/raw/$lib-$rep.txt"
    [ "$lib" = real ] && preload=$(realpath "$quirks")
    before=$(real_segments)
    if ! env LD_PRELOAD="$preload" CLIENT_TEST_LIBPSM2_DIR="$dir" CLIENT_TEST_TIMEOUT=300 \
            timeout -k 5 320 "$psm2_run" --lib "$dir" -- \
            mpirun.openmpi --allow-run-as-root --oversubscribe -np 2 --bind-to core \
            --mca pml cm --mca mtl psm2 "$osu" > "$raw" 2>&1; then
        echo "mpi-compare: $lib run $rep FAILED (see $raw)" >&2
        failures=$((failures + 1))
        ok=0
    fi
    if [ "$lib" = real ]; then
        comm -13 <(echo "$before") <(real_segments) | while read -r f; do rm -f "/dev/shm/$f"; done
    fi
    [ "$ok" -eq 1 ] || return
    awk -v lib="$lib" '/^[0-9]+ / { print lib, "mpi_latency", $1, $2; print lib, "mpi_bw", $1, $3 }' \
        "$raw" >> "$out/values.txt"
}

for rep in $(seq 1 "$reps"); do
    if [ $((rep % 2)) -eq 1 ]; then
        run_one ours "$ours" "$rep"; run_one real "$real" "$rep"
    else
        run_one real "$real" "$rep"; run_one ours "$ours" "$rep"
    fi
    echo "mpi-compare: round $rep of $reps done"
done

"$(dirname "$0")/summarize-compare.sh" "$out" "$reps" "mpi_latency mpi_bw" \
    "Open MPI mtl psm2 (osu-style): our libpsm2 vs Debian libpsm2 11.2.185 (medians)"
[ "$failures" -eq 0 ] || { echo "mpi-compare: $failures run(s) failed" >&2; exit 1; }

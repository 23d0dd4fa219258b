#!/bin/bash
# A/B comparison of psm2-perf on our libpsm2 and on the system's (Debian
# libpsm2-2 11.2.185), alternating the two libraries run after run so that
# drift of the machine (frequency, other load) hits both alike. Prints a
# table of medians with the ratio ours/real per size and draws a PNG.
set -u -o pipefail

usage() {
    cat >&2 <<USAGE
usage: $0 --perf PSM2_PERF --ours BUILD_DIR --out RESULTS_DIR
          [--real LIBDIR] [--reps N] [--modes "latency bw bibw msgrate"]
          [--max-size BYTES] [--scale F]
  --ours   directory holding our libpsm2.so.2 (the meson build dir)
  --real   directory holding the system's libpsm2.so.2 (default /usr/lib/x86_64-linux-gnu)
  --reps   runs per library and mode, alternating A/B (default 5); medians are reported
USAGE
    exit 2
}

perf="" ours="" out="" real=/usr/lib/x86_64-linux-gnu reps=5
modes="latency bw bibw msgrate" max_size=4M scale=1
while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || usage
    case "$1" in
        --perf) perf=$2 ;;
        --ours) ours=$2 ;;
        --real) real=$2 ;;
        --out) out=$2 ;;
        --reps) reps=$2 ;;
        --modes) modes=$2 ;;
        --max-size) max_size=$2 ;;
        --scale) scale=$2 ;;
        *) usage ;;
    esac
    shift 2
done
[ -n "$perf" ] && [ -n "$ours" ] && [ -n "$out" ] || usage
[ -x "$perf" ] || { echo "perf-compare: $perf is not executable" >&2; exit 2; }
for dir in "$ours" "$real"; do
    [ -e "$dir/libpsm2.so.2" ] || { echo "perf-compare: no libpsm2.so.2 in $dir" >&2; exit 2; }
done

mkdir -p "$out/raw" || exit 1
rm -f "$out"/raw/*.txt
values="$out/values.txt"
: > "$values"
failures=0

# run_one LIB_NAME LIB_DIR MODE REP: one psm2-perf run; appends "lib mode size value".
run_one() {
    local lib=$1 dir=$2 mode=$3 rep=$4
    local raw="$out/raw/$lib-$mode-$rep.txt"
    local quirks=0
    [ "$lib" = real ] && quirks=1
    if ! env LD_LIBRARY_PATH="$dir" PSM2_DEVICES=self,shm PSM2PERF_REAL_LIBRARY=$quirks \
            timeout --kill-after=5 300 "$perf" --mode "$mode" --max-size "$max_size" --scale "$scale" \
            > "$raw" 2> "$raw.err"; then
        echo "perf-compare: $lib $mode run $rep FAILED (see $raw.err)" >&2
        failures=$((failures + 1))
    fi
    # Prove which library answered: the tool prints the path it resolved psm2_init from.
    local loaded want
    loaded=$(sed -n 's/^# library \([^ ]*\).*/\1/p' "$raw")
    want=$(realpath "$dir/libpsm2.so.2")
    if [ -n "$loaded" ] && [ "$loaded" != "$want" ]; then
        echo "perf-compare: $lib run loaded $loaded, expected $want" >&2
        failures=$((failures + 1))
        return
    fi
    awk -v lib="$lib" '!/^#/ && NF >= 3 { print lib, $1, $2, $3 }' "$raw" >> "$values"
}

echo "perf-compare: ours=$ours real=$real reps=$reps modes=[$modes] max-size=$max_size"
{
    echo "# psm2-perf, PSM2_DEVICES=self,shm, two processes pinned to two cores"
    echo "# ours: $(realpath "$ours/libpsm2.so.2")   real: $(realpath "$real/libpsm2.so.2")"
} > "$out/header.txt"
for rep in $(seq 1 "$reps"); do
    for mode in $modes; do
        # Alternate which library goes first, so neither always runs on a warmer machine.
        if [ $((rep % 2)) -eq 1 ]; then
            run_one ours "$ours" "$mode" "$rep"; run_one real "$real" "$mode" "$rep"
        else
            run_one real "$real" "$mode" "$rep"; run_one ours "$ours" "$mode" "$rep"
        fi
    done
    echo "perf-compare: round $rep of $reps done"
done

"$(dirname "$0")/summarize-compare.sh" "$out" "$reps" "$modes" \
    "psm2-perf: our libpsm2 vs Debian libpsm2 11.2.185 (self,shm, 2 processes, medians)"

if [ "$failures" -ne 0 ]; then
    echo "perf-compare: $failures run(s) failed" >&2
    exit 1
fi

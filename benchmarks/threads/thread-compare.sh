#!/bin/bash
# Message rate with 1, 2, 4 threads per process over shm: our libpsm2 against
# Debian's (11.2.185), alternating the two run after run so that drift of a
# shared machine hits both alike. Prints medians and the ratio ours/real.
# The benchmark is linked against libpsm2.so.2 by name; LD_LIBRARY_PATH picks
# the library at run time (never link against the real one).
set -u -o pipefail

usage() {
    echo "usage: $0 --bench PSM2_THREAD_RATE [--self-bench PSM2_SELF_RATE] --ours BUILD_DIR" \
         "[--real LIBDIR] [--reps N] [--threads \"1 2 4\"] [--size B] [--iters N]" >&2
    exit 2
}
bench="" self_bench="" ours="" real=/usr/lib/x86_64-linux-gnu reps=3 threads="1 2 4" size=8 iters=2000
while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || usage
    case "$1" in
        --bench) bench=$2 ;; --self-bench) self_bench=$2 ;; --ours) ours=$2 ;; --real) real=$2 ;; --reps) reps=$2 ;;
        --threads) threads=$2 ;; --size) size=$2 ;; --iters) iters=$2 ;;
        *) usage ;;
    esac
    shift 2
done
[ -x "$bench" ] && [ -e "$ours/libpsm2.so.2" ] && [ -e "$real/libpsm2.so.2" ] || usage

# Debian's library leaves its shm segment behind when finalize is skipped
# (it crashes there after its failed hardware init): remove only segments
# that appeared during this run.
stamp=$(mktemp)
trap 'find /dev/shm -maxdepth 1 -name "psm2_shm.*" -user "$(id -u)" -newer "$stamp" -delete; rm -f "$stamp"' EXIT

# run LIB DIR T: prints the rate (Mmsg/s) or "fail".
run() {
    local quirks=0
    [ "$1" = real ] && quirks=1
    env LD_LIBRARY_PATH="$2" PSM2_DEVICES=self,shm PSM2PERF_REAL_LIBRARY=$quirks \
        timeout --kill-after=5 120 "$bench" --threads "$3" --size "$size" --iters "$iters" 2>/dev/null |
        awk '!/^#/ {print $3; found=1} END {if (!found) print "fail"}'
}

# run_self LIB DIR T: psm2-self-rate's Mmsg/s or "fail" (one process, self loopback).
run_self() {
    local quirks=0
    [ "$1" = real ] && quirks=1
    env LD_LIBRARY_PATH="$2" PSM2_DEVICES=self PSM2PERF_REAL_LIBRARY=$quirks \
        timeout --kill-after=5 120 "$self_bench" --threads "$3" --iters 100000 2>/dev/null |
        awk '!/^#/ {print $3; found=1} END {if (!found) print "fail"}'
}

median() { tr ' ' '\n' | grep -v '^$' | grep -v fail | sort -g | awk '{v[NR]=$1} END {print NR ? v[int((NR+1)/2)] : "n/a"}'; }

echo "# psm2-thread-rate, ${size} B, PSM2_DEVICES=self,shm, 2 processes, $reps alternating runs, medians (Mmsg/s)"
printf "%-8s %10s %10s %8s\n" threads ours real ratio
for t in $threads; do
    a="" b=""
    for r in $(seq "$reps"); do
        a="$a $(run ours "$ours" "$t")"
        b="$b $(run real "$real" "$t")"
    done
    ma=$(echo "$a" | median) mb=$(echo "$b" | median)
    ratio=$(awk -v x="$ma" -v y="$mb" 'BEGIN { if (x+0 > 0 && y+0 > 0) printf "%.2f", x/y; else print "n/a" }')
    printf "%-8s %10s %10s %8s   (ours:%s / real:%s)\n" "$t" "$ma" "$mb" "$ratio" "$a" "$b"
done

[ -n "$self_bench" ] || exit 0
echo
echo "# psm2-self-rate, 8 B, PSM2_DEVICES=self (one process, T threads on self loopback: API + lock cost)"
printf "%-8s %10s %10s %8s\n" threads ours real ratio
for t in 1 2 4 8; do
    a="" b=""
    for r in $(seq "$reps"); do
        a="$a $(run_self ours "$ours" "$t")"
        b="$b $(run_self real "$real" "$t")"
    done
    ma=$(echo "$a" | median) mb=$(echo "$b" | median)
    ratio=$(awk -v x="$ma" -v y="$mb" 'BEGIN { if (x+0 > 0 && y+0 > 0) printf "%.2f", x/y; else print "n/a" }')
    printf "%-8s %10s %10s %8s   (ours:%s / real:%s)\n" "$t" "$ma" "$mb" "$ratio" "$a" "$b"
done

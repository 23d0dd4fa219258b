#!/bin/bash
# Shared tail of the A/B runners: OUT/values.txt holds "lib mode size value"
# lines (lib = ours | real), one per run and size. Writes the medians per
# (lib, mode, size), OUT/<mode>.dat ("size ours real ratio"), the table
# OUT/summary.txt (also printed) and OUT/perf.png (gnuplot).
#
# usage: summarize-compare.sh OUT_DIR REPS "MODES" TITLE   (OUT/header.txt, if
#        present, heads the summary)
set -u -o pipefail
out=$1 reps=$2 modes=$3 title=$4

unit_of() {
    case "$1" in
        *latency) echo us ;;
        msgrate) echo Mmsg/s ;;
        *) echo MB/s ;;
    esac
}

medians="$out/medians.txt"
sort -k1,1 -k2,2 -k3,3n -k4,4g "$out/values.txt" | awk '
    function flush() {
        if (n == 0) return
        m = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
        print key, m, n
        n = 0
    }
    { k = $1 " " $2 " " $3
      if (k != key) { flush(); key = k }
      v[++n] = $4 }
    END { flush() }' > "$medians"

summary="$out/summary.txt"
{
    echo "# $title"
    echo "# medians of up to $reps alternating runs per library, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
    [ -f "$out/header.txt" ] && cat "$out/header.txt"
    echo "# ratio = ours / real (latency: lower is better; bandwidth and rate: higher is better)"
} > "$summary"
for mode in $modes; do
    unit=$(unit_of "$mode")
    awk -v m="$mode" '
        $2 == m { val[$1, $3] = $4; sizes[$3] = 1 }
        END {
            for (s in sizes) {
                o = ((("ours", s) in val) ? val["ours", s] : "nan")
                r = ((("real", s) in val) ? val["real", s] : "nan")
                ratio = (o != "nan" && r != "nan" && r > 0) ? o / r : "nan"
                print s, o, r, ratio
            }
        }' "$medians" | sort -n > "$out/$mode.dat"
    {
        echo
        printf '%-11s %10s %14s %14s %8s\n' "$mode" bytes "ours [$unit]" "real [$unit]" ratio
        awk '{ printf "%-11s %10s %14s %14s %8s\n", "", $1, $2, $3,
                      ($4 == "nan" ? "-" : sprintf("%.2f", $4)) }' "$out/$mode.dat"
    } >> "$summary"
done
cat "$summary"

if command -v gnuplot > /dev/null; then
    gnuplot -e "outdir='$out'; modes='$modes'; plot_title='$title'" "$(dirname "$0")/perf-plot.gp" &&
        echo "plot written to $out/perf.png"
else
    echo "gnuplot not found, no plot (apt install gnuplot-nox)" >&2
fi

#!/bin/sh
# run_fuzz.sh FUZZER CORPUS_DIR WORK_DIR SECONDS
# SECONDS = 0: replay the committed corpus once (a test in every build, so a
# regression input fails at once). Otherwise fuzz for SECONDS starting from
# the corpus; new inputs and crash files go to WORK_DIR (never into the
# source tree) and the final statistics, including the number of inputs
# tried (stat::number_of_executed_units), are printed.
set -eu
fuzzer=$1 corpus=$2 work=$3 secs=$4
mkdir -p "$work/new" "$work/artifacts"
common="-artifact_prefix=$work/artifacts/ -timeout=10 -rss_limit_mb=2048 -print_final_stats=1"
if [ "$secs" = 0 ]; then
  # shellcheck disable=SC2086
  exec "$fuzzer" $common -runs=0 "$corpus"
fi
# shellcheck disable=SC2086
exec "$fuzzer" $common -max_total_time="$secs" "$work/new" "$corpus"

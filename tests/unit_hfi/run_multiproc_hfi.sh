#!/bin/sh
# The multi-process PSM2 API suite (tests/multiproc) run unchanged over the
# simulated HFI: PSM2_DEVICES=self,hfi and a private fabric per run.
# usage: run_multiproc_hfi.sh GEN NP [launcher/worker args...]
# Exit 77 (skipped) when the multiproc suite is not built.
gen=$1 np=$2
shift 2
dir=${PSM2_TEST_BUILD_DIR:-.}/tests/multiproc
[ -x "$dir/mp_launcher" ] && [ -x "$dir/mp_worker" ] || { echo "multiproc suite not built"; exit 77; }
# The harness's own variables are not PSM2 knobs: keep them from the ranks.
unset PSM2_TEST_BUILD_DIR PSM2_TEST_SOURCE_DIR
export PSM2_DEVICES=self,hfi PSM2_SIM="mphfi$$" PSM2_SIM_GEN="$gen"
exec "$dir/mp_launcher" --np "$np" --timeout 200 -- "$dir/mp_worker" "$@"

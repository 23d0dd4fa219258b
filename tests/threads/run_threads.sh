#!/bin/sh
# One threads test over shm or the simulated HFI, through tests/multiproc's
# launcher (hard timeout, kills the process group, removes the job's shm
# segments). For the simulated HFI it also removes the private fabric's
# segments, which a killed run could leave behind.
# usage: run_threads.sh LAUNCHER shm|gen1|gen2 TIMEOUT_S WORKER [WORKER ARGS...]
launcher=$1 fabric=$2 timeout=$3
shift 3
# The harness's own variables are not PSM2 knobs: keep them from the ranks.
unset PSM2_TEST_BUILD_DIR PSM2_TEST_SOURCE_DIR
case "$fabric" in
    shm) export PSM2_DEVICES=self,shm ;;
    gen1|gen2)
        sim="thr$$"
        export PSM2_DEVICES=self,hfi PSM2_SIM="$sim" PSM2_SIM_GEN="$fabric"
        trap 'rm -f /dev/shm/psm2_sim.$(id -u).$sim*' EXIT INT TERM ;;
    *) echo "run_threads.sh: unknown fabric $fabric" >&2; exit 2 ;;
esac
"$launcher" --np 2 --timeout "$timeout" -- "$@"

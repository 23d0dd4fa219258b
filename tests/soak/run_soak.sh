#!/bin/sh
# Runs soak_worker on two ranks over shm, or over a private simulated HFI
# fabric with 1% loss, 1% reordering, 1% duplication and 0.1% corruption
# (fixed seed). PSM2_TRACEMASK 0x4 makes each HFI endpoint print its protocol
# counters (damaged, out of order, duplicates, naks, timeouts) at close.
# usage: run_soak.sh shm|hfi-lossy LAUNCHER WORKER [worker args...]
dev=$1 launcher=$2 worker=$3
shift 3
unset PSM2_TEST_BUILD_DIR PSM2_TEST_SOURCE_DIR
case $dev in
  shm) export PSM2_DEVICES=self,shm ;;
  hfi-lossy)
    export PSM2_DEVICES=self,hfi PSM2_SIM="soak$$" PSM2_SIM_GEN=${PSM2_SIM_GEN:-gen1}
    export PSM2_SIM_LOSS=0.01 PSM2_SIM_REORDER=0.01 PSM2_SIM_DUP=0.01 PSM2_SIM_CORRUPT=0.001
    export PSM2_SIM_SEED=${PSM2_SIM_SEED:-11} PSM2_TRACEMASK=0x5 ;;
  *) echo "unknown device $dev"; exit 2 ;;
esac
exec "$launcher" --np 2 --timeout 360 -- "$worker" "$@"

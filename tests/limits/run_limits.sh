#!/bin/sh
# Runs limits_worker on two ranks over shm, or over a private simulated HFI
# fabric (PSM2_DEVICES=self,hfi, PSM2_SIM unique per run).
# usage: run_limits.sh shm|hfi LAUNCHER WORKER [worker args...]
dev=$1 launcher=$2 worker=$3
shift 3
# The harness's own variables are not PSM2 knobs: keep them from the ranks.
unset PSM2_TEST_BUILD_DIR PSM2_TEST_SOURCE_DIR
case $dev in
  shm) export PSM2_DEVICES=self,shm ;;
  hfi) export PSM2_DEVICES=self,hfi PSM2_SIM="limits$$" PSM2_SIM_GEN=${PSM2_SIM_GEN:-gen1} ;;
  *) echo "unknown device $dev"; exit 2 ;;
esac
exec "$launcher" --np 2 --timeout 200 -- "$worker" "$@"

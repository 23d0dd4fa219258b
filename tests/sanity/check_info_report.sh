#!/bin/sh
# psm2-info must name the library it loaded (ours, from the build dir), list
# every variable of the table with its source, and report a simulated unit
# when PSM2_SIM is set.
set -u
info="$1"
out=$("$info") || { echo "psm2-info failed"; exit 1; }
echo "$out" | head -1 | grep -q "psm2-cpp" || { echo "banner does not name psm2-cpp"; exit 1; }
echo "$out" | head -1 | grep -q "libpsm2.so.2" || { echo "banner does not name the library path"; exit 1; }
echo "$out" | grep -q "^PSM2_MQ_RNDV_SHM_THRESH *16000 *default" || { echo "variable table missing"; exit 1; }
out=$(PSM2_MQ_RNDV_SHM_THRESH=999 "$info")
echo "$out" | grep -q "^PSM2_MQ_RNDV_SHM_THRESH *999 *environment" || { echo "environment source not shown"; exit 1; }
out=$(PSM2_SIM=report-test PSM2_SIM_GEN=gen2 PSM2_SIM_UNITS=2 "$info")
echo "$out" | grep -q "hfi unit 1: sim-gen2_1 (simulated) gen2, port ACTIVE" || { echo "simulated units not reported"; echo "$out" | head -5; exit 1; }
echo "psm2-info report ok"

#!/bin/sh
# Runs the multi-endpoint worker in NP processes through tests/multiproc's
# launcher (hard timeout, process-group kill, removal of the job's shm
# segments). With a generation, the HFI traffic goes over a private simulated
# fabric, whose /dev/shm files are removed here afterwards, pass or fail (a
# clean run must leave none).
# usage: run_multiep.sh LAUNCHER WORKER NP DEVICES [GEN]
launcher=$1 worker=$2 np=$3 devices=$4 gen=$5
unset PSM2_TEST_BUILD_DIR PSM2_TEST_SOURCE_DIR
export PSM2_MULTI_EP=1 PSM2_DEVICES="$devices"
fabric=
if [ -n "$gen" ]; then
    fabric="multiep$$"
    export PSM2_SIM="$fabric" PSM2_SIM_GEN="$gen"
fi
"$launcher" --np "$np" --timeout 120 -- "$worker"
rc=$?
if [ -n "$fabric" ]; then
    left=$(ls /dev/shm | grep -c "^psm2_sim\.$(id -u)\.$fabric\(\.\|$\)")
    rm -f /dev/shm/psm2_sim."$(id -u)"."$fabric" /dev/shm/psm2_sim."$(id -u)"."$fabric".*
    if [ "$rc" -eq 0 ] && [ "$left" -ne 0 ]; then
        echo "run_multiep: $left simulated-fabric segment(s) left behind by a clean run"
        rc=1
    fi
fi
exit $rc

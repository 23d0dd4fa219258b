#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# psm1-openmpi test: Debian's Open MPI, unchanged, with "--mca pml cm --mca
# mtl psm" (its mca_mtl_psm.so links libpsm_infinipath.so.1), 2 ranks, with
# LD_LIBRARY_PATH at our shim and our libpsm2.
#
# Open MPI's psm MTL only opens when /dev/ipath exists (the TrueScale device;
# the original psm2-compat package made it a udev symlink to /dev/hfi1_0).
# Without it, and as root, the test runs mpirun in a private mount namespace
# whose /dev is a fresh tmpfs holding the usual devices plus an empty
# /dev/ipath; nothing outside the test sees it.  Otherwise: skipped (77).
#
# usage: run_openmpi.sh SHIM_DIR PSM2_DIR MPI_PROGRAM
set -u
shim_dir=$1
psm2_dir=$2
program=$3
skip() { echo "psm1-openmpi: SKIP - $*"; exit 77; }

if [ "${PSM1_TEST_INSIDE_NS:-}" = 1 ]; then
    # Second stage, inside the mount namespace: build the private /dev.
    old_dev=$PSM1_TEST_OLD_DEV
    mount --rbind /dev "$old_dev" || exit 1
    mount -t tmpfs -o mode=755 psm1-test-dev /dev || exit 1
    for dir in shm pts mqueue hugepages; do
        [ -d "$old_dev/$dir" ] || continue
        mkdir "/dev/$dir" && mount --rbind "$old_dev/$dir" "/dev/$dir" || exit 1
    done
    for node in null zero full random urandom tty ptmx; do
        [ -e "$old_dev/$node" ] || continue
        touch "/dev/$node" && mount --bind "$old_dev/$node" "/dev/$node" || exit 1
    done
    ln -s /proc/self/fd /dev/fd
    ln -s /proc/self/fd/0 /dev/stdin
    ln -s /proc/self/fd/1 /dev/stdout
    ln -s /proc/self/fd/2 /dev/stderr
    touch /dev/ipath || exit 1
    unset PSM1_TEST_INSIDE_NS PSM1_TEST_OLD_DEV
    exec "$0" "$@"
fi

command -v mpirun.openmpi > /dev/null || skip "mpirun.openmpi not installed"
ompi_info 2>/dev/null | grep -q 'MCA mtl: psm ' ||
    skip "this Open MPI has no 'psm' MTL component (mca_mtl_psm)"

if [ ! -e /dev/ipath ]; then
    [ "$(id -u)" = 0 ] || skip "Open MPI's psm MTL needs /dev/ipath; creating a private one needs root"
    command -v unshare > /dev/null || skip "Open MPI's psm MTL needs /dev/ipath; unshare(1) missing"
    old_dev=$(mktemp -d) || exit 1
    PSM1_TEST_INSIDE_NS=1 PSM1_TEST_OLD_DEV=$old_dev \
        unshare --mount --propagation private "$0" "$@"
    rc=$?
    rmdir "$old_dev"
    exit $rc
fi

# Remove shared-memory files our ranks leave behind, even on failure.
before=$(mktemp) || exit 1
ls /dev/shm > "$before" 2> /dev/null
cleanup() {
    ls /dev/shm 2> /dev/null | grep -vxF -f "$before" | grep '^psm' |
        while read -r f; do rm -f "/dev/shm/$f"; done
    rm -f "$before"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

export LD_LIBRARY_PATH="$shim_dir:$psm2_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# timeout(1) bounds a hung job; -k kills what ignores the TERM.
timeout -k 10 120 mpirun.openmpi --allow-run-as-root --oversubscribe -np 2 \
    --mca pml cm --mca mtl psm --mca btl self,vader \
    -x LD_LIBRARY_PATH \
    "$program" "$shim_dir"
rc=$?
[ $rc = 124 ] && echo "psm1-openmpi: FAIL - timed out after 120 s"
exit $rc

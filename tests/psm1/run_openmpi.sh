#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# psm1-openmpi test: Debian's Open MPI, unchanged, with "--mca pml cm --mca
# mtl psm" (its mca_mtl_psm.so links libpsm_infinipath.so.1), 2 ranks, with
# LD_LIBRARY_PATH at our shim and our libpsm2.
#
# Open MPI's psm MTL only opens on TrueScale hardware: /dev/ipath must exist
# and a port under /sys/class/infiniband/qib*/ports/*/state must read ACTIVE.
# (The original psm2-compat package made /dev/ipath a udev symlink to
# /dev/hfi1_0.)  Without them, and as root, the test runs mpirun in a private
# mount namespace where /dev and /sys/class are fresh tmpfs copies of the real
# ones (every entry bind-mounted back) plus an empty /dev/ipath and one ACTIVE
# qib0 port; nothing outside the test sees them.  Otherwise: skipped (77).
#
# usage: run_openmpi.sh SHIM_DIR PSM2_DIR MPI_PROGRAM
set -u
shim_dir=$1
psm2_dir=$2
program=$3
skip() { echo "psm1-openmpi: SKIP - $*"; exit 77; }

# Replace directory $1 by a tmpfs that shows the same entries, so that new
# entries can be added to it; the original stays reachable under $2.
writable_copy() {
    mount --rbind "$1" "$2" && mount -t tmpfs -o mode=755 psm1-test "$1" || return 1
    for entry in "$2"/* "$2"/.[!.]*; do
        [ -e "$entry" ] || [ -L "$entry" ] || continue
        name=${entry##*/}
        if [ -L "$entry" ]; then
            cp -P "$entry" "$1/$name"
        elif [ -d "$entry" ]; then
            mkdir "$1/$name" && mount --rbind "$entry" "$1/$name"
        else
            touch "$1/$name" && mount --bind "$entry" "$1/$name"
        fi || return 1
    done
}

if [ "${PSM1_TEST_INSIDE_NS:-}" = 1 ]; then
    # Second stage, inside the private mount namespace.
    stash=$PSM1_TEST_STASH
    mkdir "$stash/dev" "$stash/class" || exit 1
    writable_copy /dev "$stash/dev" || exit 1
    touch /dev/ipath || exit 1
    writable_copy /sys/class "$stash/class" || exit 1
    mkdir -p /sys/class/infiniband/qib0/ports/1 || exit 1
    echo "4: ACTIVE" > /sys/class/infiniband/qib0/ports/1/state || exit 1
    unset PSM1_TEST_INSIDE_NS PSM1_TEST_STASH
    exec "$0" "$@"
fi

command -v mpirun.openmpi > /dev/null || skip "mpirun.openmpi not installed"
ompi_info 2>/dev/null | grep -q 'MCA mtl: psm ' ||
    skip "this Open MPI has no 'psm' MTL component (mca_mtl_psm)"

if [ ! -e /dev/ipath ] || ! grep -qs ACTIVE /sys/class/infiniband/qib*/ports/*/state; then
    why="Open MPI's psm MTL needs /dev/ipath and an ACTIVE qib port"
    [ "$(id -u)" = 0 ] || skip "$why; faking them in a private mount namespace needs root"
    command -v unshare > /dev/null || skip "$why; unshare(1) is missing"
    unshare --mount --propagation private true 2> /dev/null ||
        skip "$why; this container does not allow a private mount namespace"
    stash=$(mktemp -d) || exit 1
    PSM1_TEST_INSIDE_NS=1 PSM1_TEST_STASH=$stash \
        unshare --mount --propagation private "$0" "$@"
    rc=$?
    # Only empty mount points remain out here; rmdir (never rm -r) so that a
    # stash still holding mounts could never lose its contents.
    rmdir "$stash/dev" "$stash/class" 2> /dev/null
    rmdir "$stash"
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

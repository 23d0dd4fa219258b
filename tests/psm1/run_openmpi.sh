#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# psm1-openmpi test: Debian's Open MPI, unchanged, with "--mca pml cm --mca
# mtl psm" (its mca_mtl_psm.so links libpsm_infinipath.so.1), 2 ranks, with
# LD_LIBRARY_PATH at our shim and our libpsm2.
#
# Open MPI's psm MTL only opens on TrueScale hardware: /dev/ipath must exist
# and a port under /sys/class/infiniband/qib*/ports/*/state must read ACTIVE.
# (The original psm2-compat package made /dev/ipath a udev symlink to
# /dev/hfi1_0.)  The test therefore runs mpirun in a private mount namespace
# (root only; otherwise skipped with 77) where /dev and /sys/class are fresh
# tmpfs copies of the real ones - every entry bind-mounted back - plus an
# empty /dev/ipath and one ACTIVE qib0 port, and /dev/shm is a private tmpfs:
# the ranks' shared-memory files vanish with the namespace, whatever happens,
# and never meet those of tests running beside this one.
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
    mkdir "$stash/dev" "$stash/class" "$stash/ib" || exit 1
    writable_copy /dev "$stash/dev" || exit 1
    umount -l /dev/shm && mount -t tmpfs -o mode=1777 psm1-test-shm /dev/shm || exit 1
    [ -e /dev/ipath ] || touch /dev/ipath || exit 1
    if ! grep -qs ACTIVE /sys/class/infiniband/qib*/ports/*/state; then
        writable_copy /sys/class "$stash/class" || exit 1
        if [ -d /sys/class/infiniband ]; then
            writable_copy /sys/class/infiniband "$stash/ib" || exit 1
        fi
        mkdir -p /sys/class/infiniband/qib0/ports/1 || exit 1
        echo "4: ACTIVE" > /sys/class/infiniband/qib0/ports/1/state || exit 1
    fi
    unset PSM1_TEST_INSIDE_NS PSM1_TEST_STASH
    PSM1_TEST_IN_PRIVATE_NS=1 exec "$0" "$@"
fi

command -v mpirun.openmpi > /dev/null || skip "mpirun.openmpi not installed"
ompi_info 2>/dev/null | grep -q 'MCA mtl: psm ' ||
    skip "this Open MPI has no 'psm' MTL component (mca_mtl_psm)"

if [ -z "${PSM1_TEST_IN_PRIVATE_NS:-}" ]; then
    why="the test needs a private mount namespace (/dev/ipath, a qib port, /dev/shm)"
    [ "$(id -u)" = 0 ] || skip "$why: root only"
    command -v unshare > /dev/null || skip "$why: unshare(1) is missing"
    unshare --mount --propagation private true 2> /dev/null ||
        skip "$why: this container does not allow one"
    stash=$(mktemp -d) || exit 1
    PSM1_TEST_INSIDE_NS=1 PSM1_TEST_STASH=$stash \
        unshare --mount --propagation private "$0" "$@"
    rc=$?
    # Only empty mount points remain out here; rmdir (never rm -r) so that a
    # stash still holding mounts could never lose its contents.
    rmdir "$stash/dev" "$stash/class" "$stash/ib" 2> /dev/null
    rmdir "$stash"
    exit $rc
fi

export LD_LIBRARY_PATH="$shim_dir:$psm2_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# timeout(1) bounds a hung job; -k kills what ignores the TERM.
timeout -k 10 120 mpirun.openmpi --allow-run-as-root --oversubscribe -np 2 \
    --mca pml cm --mca mtl psm --mca btl self,vader \
    -x LD_LIBRARY_PATH \
    "$program" "$shim_dir"
rc=$?
[ $rc = 124 ] && echo "psm1-openmpi: FAIL - timed out after 120 s"
exit $rc

#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# psm1-libfabric test: Debian's libfabric, unchanged, whose "psm" provider
# links libpsm_infinipath.so.1: fi_pingpong server + client over RDM
# endpoints, all sizes, data checks on, with LD_LIBRARY_PATH at our shim and
# our libpsm2.
#
# The provider offers no endpoint unless psm_ep_num_devunits() reports a unit
# (as on real PSM1 without TrueScale hardware), so the test turns on our
# simulated HFI (PSM2_SIM, one unit); the two processes share this host and
# talk over shared memory.  Skipped (77) only when libfabric has no psm
# provider.
#
# usage: run_libfabric.sh SHIM_DIR PSM2_DIR
set -u
shim_dir=$1
psm2_dir=$2
skip() { echo "psm1-libfabric: SKIP - $*"; exit 77; }

command -v fi_pingpong > /dev/null && command -v fi_info > /dev/null ||
    skip "fi_pingpong / fi_info (libfabric-bin) not installed"
fi_info -l 2>/dev/null | grep -q '^psm:' || skip "this libfabric has no 'psm' provider"

export LD_LIBRARY_PATH="$shim_dir:$psm2_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export FI_PROVIDER=psm
export PSM2_SIM="psm1-libfabric-$$"
# A job key of our own: the provider's default key is the same for every
# run, and a concurrent run (another build directory's test suite) would
# otherwise meet ours in the same shared-memory segment names.
FI_PSM_UUID=$(cat /proc/sys/kernel/random/uuid) || exit 1
export FI_PSM_UUID

# Shared-memory files of this run carry its job key or its simulated fabric's
# name; only those are removed, so that tests running beside this one keep
# theirs.
uuid_hex=$(echo "$FI_PSM_UUID" | tr -d '-' | tr 'A-F' 'a-f')
tmp=$(mktemp -d) || exit 1
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2> /dev/null
    for f in /dev/shm/*"$uuid_hex"* /dev/shm/psm2_sim.*".$PSM2_SIM"*; do
        [ -e "$f" ] && rm -f "$f"
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

if ! info=$(timeout 30 fi_info -p psm -e rdm 2>&1); then
    diag=$(FI_LOG_LEVEL=info timeout 30 fi_info -p psm -e rdm 2>&1 | grep ':psm:')
    echo "psm1-libfabric: FAIL - fi_info -p psm found no endpoint:"
    echo "$info"
    echo "$diag"
    exit 1
fi

# A control port of our own, so parallel test runs do not collide.
port=$((20000 + $$ % 30000))
timeout -k 5 90 fi_pingpong -p psm -e rdm -c -I 10 -S all -B "$port" > "$tmp/server.log" 2>&1 &
server_pid=$!
# The client must not dial before the server listens (the machine may be busy).
for _ in $(seq 100); do
    ss -ltnH "sport = :$port" 2> /dev/null | grep -q . && break
    sleep 0.2
done
timeout -k 5 90 fi_pingpong -p psm -e rdm -c -I 10 -S all -P "$port" 127.0.0.1 > "$tmp/client.log" 2>&1
client_rc=$?
wait "$server_pid"
server_rc=$?
server_pid=
cat "$tmp/client.log"
if [ $client_rc != 0 ] || [ $server_rc != 0 ]; then
    echo "psm1-libfabric: FAIL - client exit $client_rc, server exit $server_rc; server said:"
    cat "$tmp/server.log"
    exit 1
fi
echo "psm1-libfabric: OK (fi_pingpong -p psm over our shim)"
exit 0

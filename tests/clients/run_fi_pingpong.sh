#!/bin/bash
# libfabric, unchanged (Debian's libfabric-bin): fi_pingpong -p psm2 server
# and client on localhost, every size fi_pingpong knows (0 B .. beyond
# 4 MiB; Debian's real libpsm2 hangs at 64 KiB), data checks on. Each side
# runs under its own psm2-run on one shared simulated fabric: the psm2
# provider offers nothing without an HFI unit. Skips (77) only when
# libfabric's tools or its psm2 provider are not installed.
#
# --devices picks PSM2_DEVICES (default: psm2-run's self,shm,hfi, where the
# two local processes talk over shm; self,hfi sends everything through the
# simulated fabric).
#
# usage: run_fi_pingpong.sh --psm2-run PATH --lib DIR [--devices LIST] [--timeout S]
set -u
test_name="libfabric-fi_pingpong-psm2"
psm2_run="" lib="" limit=150 devices=()
while [ $# -gt 0 ]; do
    case "$1" in
        --psm2-run) psm2_run=$2 ;;
        --lib) lib=$2 ;;
        --devices) devices=(--devices "$2"); test_name="$test_name ($2)" ;;
        --timeout) limit=$2 ;;
        *) echo "usage: $0 --psm2-run PATH --lib DIR [--devices LIST] [--timeout S]" >&2; exit 2 ;;
    esac
    shift 2
done
[ -n "$psm2_run" ] && [ -n "$lib" ] || { echo "$0: missing arguments" >&2; exit 2; }
. "$(dirname "$0")/client_env.sh"

command -v fi_pingpong > /dev/null && command -v fi_info > /dev/null ||
    skip "fi_pingpong / fi_info not installed (libfabric-bin)"
fi_info -l 2> /dev/null | grep -q '^psm2:' || skip "this libfabric has no psm2 provider"

fabric="clients-fi-$$"
run=("$psm2_run" --sim gen1 "${devices[@]}" --fabric "$fabric" --lib "$lib" --)
tmp=$(mktemp -d) || exit 1
trap 'cleanup_env; rm -rf "$tmp"' EXIT

# The provider must see the simulated unit at all.
if ! run_bounded 30 "${run[@]}" fi_info -p psm2 -e rdm > "$tmp/info" 2>&1; then
    cat "$tmp/info"
    fail "fi_info -p psm2 finds no endpoint on the simulated HFI"
fi

port=$((20000 + $$ % 30000))
run_bounded "$limit" "${run[@]}" fi_pingpong -p psm2 -e rdm -c -I 10 -S all -B "$port" \
    > "$tmp/server" 2>&1 &
server=$!
for _ in $(seq 100); do  # the client must not dial before the server listens
    ss -ltnH "sport = :$port" 2> /dev/null | grep -q . && break
    sleep 0.2
done
run_bounded "$limit" "${run[@]}" fi_pingpong -p psm2 -e rdm -c -I 10 -S all -P "$port" 127.0.0.1 \
    > "$tmp/client" 2>&1
client_rc=$?
wait "$server"
server_rc=$?
cat "$tmp/client"
if [ $client_rc -ne 0 ] || [ $server_rc -ne 0 ]; then
    echo "--- server:"
    cat "$tmp/server"
    fail "client exit $client_rc, server exit $server_rc"
fi
grep -qE '^4m ' "$tmp/client" || fail "the 4 MiB transfer is missing from the client's report"
shm_leaks || fail "left shared-memory segments behind"
echo "$test_name: OK"

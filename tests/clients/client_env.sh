# Sourced by the client test scripts: skip/fail helpers, a /dev/shm leak
# check around the run, and the process-tree timeout all tests share.
# Callers set: test_name.

skip() { echo "$test_name: SKIP - $*"; exit 77; }
fail() { echo "$test_name: FAIL - $*"; exit 1; }

# Segments our library creates (shm device "psm2cpp.*", simulated fabric
# "psm2_sim.*"). The tests run with is_parallel: false, but other suites or
# other build trees may run on the same machine at the same time, so a
# segment counts as left behind only if it is new since the snapshot and,
# after the run, still mapped by no live process (checked twice, a second
# apart, so one being set up right now by someone else is not taken).
shm_snapshot=$(mktemp) || exit 1
ls /dev/shm 2> /dev/null | grep '^psm2' > "$shm_snapshot"

unmapped_new_segments() {
    local f
    for f in $(ls /dev/shm 2> /dev/null | grep '^psm2' | grep -vxF -f "$shm_snapshot"); do
        grep -qsF "/dev/shm/$f" /proc/[0-9]*/maps || echo "$f"
    done
}

# Prints and removes segments this run left behind; returns 1 if any.
shm_leaks() {
    local first leaked f
    first=$(unmapped_new_segments)
    [ -z "$first" ] && return 0
    sleep 1
    leaked=$(unmapped_new_segments | grep -xF "$first")
    [ -z "$leaked" ] && return 0
    echo "$test_name: /dev/shm segments left behind:" $leaked
    for f in $leaked; do rm -f "/dev/shm/$f"; done
    return 1
}

cleanup_env() {
    shm_leaks > /dev/null
    rm -f "$shm_snapshot"
}

# run_bounded SECONDS CMD...: runs CMD in its own process group and kills the
# whole group (mpirun, its ranks, a pingpong server) if it outlives SECONDS.
# Returns CMD's exit status, 124 on timeout.
run_bounded() {
    local limit=$1
    shift
    setsid "$@" &
    local pid=$! waited=0
    while kill -0 "$pid" 2> /dev/null; do
        if [ "$waited" -ge $((limit * 10)) ]; then
            echo "$test_name: timeout after ${limit}s, killing process group $pid" >&2
            kill -TERM -- "-$pid" 2> /dev/null
            sleep 2
            kill -KILL -- "-$pid" 2> /dev/null
            wait "$pid" 2> /dev/null
            return 124
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    wait "$pid"
}

#!/bin/bash
# Open MPI, unchanged (Debian's openmpi-bin), on our libpsm2 through psm2-run:
#   --mtl psm2: mpirun --mca pml cm --mca mtl psm2 (self + shm, no HFI needed)
#   --mtl ofi:  mpirun --mca pml cm --mca mtl ofi --mca mtl_ofi_provider_include psm2
#               (libfabric's psm2 provider needs an HFI unit: the simulated one)
# The MPI program itself checks /proc/self/maps for our libpsm2.so.2 and
# aborts the job if another one was loaded. Skips (77) only when Open MPI or
# the component is not installed.
#
# --sim GEN / --devices LIST / --faults "OPTS" go to psm2-run: with
# "--sim gen1 --devices self,hfi" every message crosses the simulated HFI
# fabric, and --faults "--loss P --dup P ..." injects faults on it.
#
# usage: run_openmpi.sh --mtl psm2|ofi --psm2-run PATH --lib DIR [--np N]
#                       [--sim GEN] [--devices LIST] [--faults "OPTS"]
#                       [--timeout S] -- PROGRAM [ARGS...]
set -u
test_name="openmpi"
mtl=psm2 psm2_run="" lib="" np=2 limit=150 sim=() label=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    case "$1" in
        --mtl) mtl=$2 ;;
        --psm2-run) psm2_run=$2 ;;
        --lib) lib=$2 ;;
        --np) np=$2 ;;
        --timeout) limit=$2 ;;
        --sim) sim+=(--sim "$2"); label="$label sim=$2" ;;
        --devices) sim+=(--devices "$2"); label="$label devices=$2" ;;
        --faults) read -r -a faults <<< "$2"; sim+=("${faults[@]}"); label="$label faults" ;;
        *) echo "usage: $0 --mtl psm2|ofi --psm2-run PATH --lib DIR [--np N] -- PROGRAM..." >&2; exit 2 ;;
    esac
    shift 2
done
shift
[ $# -ge 1 ] && [ -n "$psm2_run" ] && [ -n "$lib" ] || { echo "$0: missing arguments" >&2; exit 2; }
test_name="openmpi-mtl-$mtl$label $(basename "$1")"
. "$(dirname "$0")/client_env.sh"
trap cleanup_env EXIT

command -v mpirun.openmpi > /dev/null || skip "mpirun.openmpi not installed (openmpi-bin)"
components=$(ompi_info 2> /dev/null)
echo "$components" | grep -q "MCA mtl: $mtl " || skip "Open MPI has no '$mtl' MTL component"

mca=(--mca pml cm --mca mtl "$mtl")
if [ "$mtl" = ofi ]; then
    command -v fi_info > /dev/null || skip "fi_info not installed (libfabric-bin)"
    fi_info -l 2> /dev/null | grep -q '^psm2:' || skip "this libfabric has no psm2 provider"
    [ ${#sim[@]} -eq 0 ] && sim=(--sim gen1)  # the provider needs an HFI unit
    mca+=(--mca mtl_ofi_provider_include psm2)
fi

export CLIENT_TEST_LIBPSM2_DIR="$lib"
export CLIENT_TEST_TIMEOUT=$((limit - 5))  # each rank's own watchdog
out=$(mktemp)
run_bounded "$limit" "$psm2_run" "${sim[@]}" --lib "$lib" -- \
    mpirun.openmpi --allow-run-as-root --oversubscribe -np "$np" "${mca[@]}" "$@" > "$out" 2>&1
rc=$?
cat "$out"
grep -q "loaded from .* (the expected one)" "$out" || { rm -f "$out"; fail "no proof that our libpsm2 was loaded (exit $rc)"; }
rm -f "$out"
[ $rc -eq 0 ] || fail "mpirun exited with $rc"
shm_leaks || fail "the job left shared-memory segments behind"
echo "$test_name: OK"

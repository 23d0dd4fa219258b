#!/bin/bash
# The README's test command and CI's (.ci/run). Builds and tests three
# configurations, prints one line per configuration, and ends with one line
# "tests: N passed, M failed, K skipped" summed over all of them; exits
# non-zero when M > 0.
#
#   normal     default compiler, release build, every suite (incl. 'long')
#   asan       clang, ASan + UBSan (UBSan fatal), fuzzers built (-Dfuzz=true),
#              every suite: fuzz runs of 60 s each are in 'long'
#   tsan       gcc, TSan, only what suite 'threads' needs, that suite only
#
# STAGES="normal asan" picks configurations; extra arguments go to
# `meson test` of the normal and asan stages (e.g. --setup quick). The build
# directories are $BUILD, $BUILD-asan-ubsan and $BUILD-tsan.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
STAGES=${STAGES:-normal asan tsan}

bash scripts/install-deps.sh || { echo "tests: 0 passed, 1 failed, 0 skipped (dependency install)"; exit 1; }

# Segments of an earlier crashed run of ours must not influence this one
# (the library also sweeps dead owners' segments itself; this is belt and braces).
clean_segments() {
  rm -f /dev/shm/psm2cpp."$(id -u)".* /dev/shm/psm2_sim."$(id -u)".* 2>/dev/null || true
}

# "passed failed skipped" of one meson test log.
count_log() {
  python3 - "$1" <<'PY'
import json, sys
passed = failed = skipped = 0
try:
    with open(sys.argv[1]) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            r = json.loads(line).get("result", "")
            if r in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif r == "SKIP":
                skipped += 1
            else:
                failed += 1
except FileNotFoundError:
    failed = 1
print(passed, failed, skipped)
PY
}

total_passed=0 total_failed=0 total_skipped=0
stage_lines=()

# The ninja targets the tests of one suite need (their programs and declared
# dependencies), so the TSan stage builds nothing else.
suite_targets() {
  local dir=$1 suite=$2
  python3 - "$dir" "$suite" <<'PY'
import json, os, subprocess, sys
build, suite = sys.argv[1], sys.argv[2]
info = os.path.join(build, "meson-info")
tests = json.load(open(os.path.join(info, "intro-tests.json")))
targets = json.load(open(os.path.join(info, "intro-targets.json")))
by_id = {t["id"]: t for t in targets}
by_file = {f: t for t in targets for f in t["filename"]}
want = set()
for t in tests:
    if not any(s == suite or s.endswith(":" + suite) for s in t["suite"]):
        continue
    for dep in t.get("depends", []):
        if dep in by_id:
            want.update(by_id[dep]["filename"])
    if t["cmd"] and t["cmd"][0] in by_file:
        want.update(by_file[t["cmd"][0]]["filename"])
for f in sorted(want):
    print(os.path.relpath(f, build))
PY
}

# One `meson test` run; adds its counts to p, f, s of the calling stage. A
# run that selects no test (e.g. suite 'threads' before it is written)
# writes no log and counts nothing.
meson_test() {
  local dir=$1; shift
  local rp rf rs
  rm -f "$dir/meson-logs/testlog.json"
  meson test -C "$dir" --print-errorlogs --num-processes 2 "$@"
  [ -f "$dir/meson-logs/testlog.json" ] || return 0
  read -r rp rf rs < <(count_log "$dir/meson-logs/testlog.json")
  p=$((p + rp)); f=$((f + rf)); s=$((s + rs))
}

# run_stage NAME DIR MODE SETUP_ARGS... ; MODE: all, asan (all, in two runs)
# or threads (build and run suite 'threads' only).
run_stage() {
  local name=$1 dir=$2 mode=$3; shift 3
  local t0 t1 t2 build_s test_s p f s
  local only_suite=""
  [ "$mode" = threads ] && only_suite=threads
  t0=$(date +%s)
  if [ ! -f "$dir/build.ninja" ]; then
    if ! meson setup "$dir" . "$@"; then
      stage_lines+=("stage $name: meson setup failed")
      total_failed=$((total_failed + 1)); return
    fi
  fi
  local ok=1
  if [ -n "$only_suite" ]; then
    local targets
    targets=$(suite_targets "$dir" "$only_suite")
    if [ -n "$targets" ]; then
      # shellcheck disable=SC2086
      ninja -C "$dir" $targets || ok=0
    fi
  else
    ninja -C "$dir" || ok=0
  fi
  t1=$(date +%s); build_s=$((t1 - t0))
  if [ $ok -eq 0 ]; then
    stage_lines+=("stage $name: build failed after ${build_s} s")
    total_failed=$((total_failed + 1)); return
  fi
  clean_segments
  p=0 f=0 s=0
  case $mode in
    threads)
      meson_test "$dir" --no-rebuild --suite threads ;;
    asan)
      # Programs built elsewhere (Open MPI, libfabric) load the sanitized
      # library only with the runtime preloaded: those suites run in the
      # 'foreign' setup (see the top meson.build), the rest in the
      # default 'sanitize' setup with leak checking.
      # The soaks (10^6 messages each) run in the normal stage only: under
      # ASan they would cost minutes and check nothing the shorter
      # multi-process tests do not. fi_pingpong through psm2-run's LD_PRELOAD
      # interposer does not see the simulated unit when the ASan runtime is
      # preloaded too, so the libfabric psm2 runs are left to the normal stage.
      meson_test "$dir" --no-suite clients --no-suite psm1 --no-suite soak "${test_args[@]}"
      meson_test "$dir" --no-rebuild --setup foreign --suite clients --suite psm1 --no-suite libfabric "${test_args[@]}" ;;
    *)
      meson_test "$dir" "${test_args[@]}" ;;
  esac
  t2=$(date +%s); test_s=$((t2 - t1))
  total_passed=$((total_passed + p)); total_failed=$((total_failed + f)); total_skipped=$((total_skipped + s))
  clean_segments
  stage_lines+=("stage $name: $p passed, $f failed, $s skipped (build ${build_s} s, tests ${test_s} s)")
}

test_args=("$@")
for stage in $STAGES; do
  case $stage in
    normal)
      run_stage normal "$BUILD" all ;;
    asan)
      # -O1: sanitizer builds are only for finding faults; benchmarks are not needed.
      CC=clang CXX=clang++ run_stage asan-ubsan "$BUILD-asan-ubsan" asan \
        -Db_sanitize=address,undefined -Db_lundef=false -Dfuzz=true \
        -Doptimization=1 -Ddebug=true -Dbenchmarks=false ;;
    tsan)
      # gcc's TSan: clang 14's shared TSan runtime (-shared-libsan, which the
      # asan stage needs for programs built elsewhere) crashes at startup here.
      run_stage tsan "$BUILD-tsan" threads \
        -Db_sanitize=thread -Db_lundef=false \
        -Doptimization=1 -Ddebug=true -Dbenchmarks=false ;;
    *)
      echo "test.sh: unknown stage '$stage' (normal, asan, tsan)"; total_failed=$((total_failed + 1)) ;;
  esac
done

for line in "${stage_lines[@]}"; do echo "$line"; done
echo "tests: $total_passed passed, $total_failed failed, $total_skipped skipped"
[ "$total_failed" -eq 0 ]

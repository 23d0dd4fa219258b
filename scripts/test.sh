#!/bin/bash
# Builds the library and runs the whole test suite; ends with one line
# "tests: N passed, M failed, K skipped" and exits non-zero when M > 0.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}

bash scripts/install-deps.sh || { echo "tests: 0 passed, 1 failed (dependency install)"; exit 1; }
if [ ! -f "$BUILD/build.ninja" ]; then
  meson setup "$BUILD" . || { echo "tests: 0 passed, 1 failed (meson setup)"; exit 1; }
fi
ninja -C "$BUILD" || { echo "tests: 0 passed, 1 failed (build)"; exit 1; }

# Segments of an earlier crashed run of ours must not influence this one
# (the library also sweeps dead owners' segments itself; this is belt and braces).
rm -f /dev/shm/psm2cpp."$(id -u)".* /dev/shm/psm2_sim."$(id -u)".* 2>/dev/null || true
meson test -C "$BUILD" --print-errorlogs --num-processes 2 "$@"
status=$?

python3 - "$BUILD/meson-logs/testlog.json" <<'PY'
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
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
PY
summary=$?
[ $summary -ne 0 ] && exit 1
exit $status

#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# psm1-exported-symbols test: the built libpsm_infinipath.so.1 must export
# exactly the PSM1 interface of Debian's library (expected_symbols.txt): same
# soname, no version node (unversioned "Base" symbols), the same psm_* (weak)
# and __psm_* (global) functions, and nothing else - no C++ or internal name.
# It must also depend on libpsm2.so.2: the shim forwards, it does not embed.
#
# usage: check_psm1_symbols.sh BUILT_LIBRARY EXPECTED_LIST
set -u
lib=$1
expected=$2
here=$(dirname "$0")
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

real_name=$(basename "$(readlink -f "$lib")")
if [ "$real_name" != libpsm_infinipath.so.1.16 ]; then
    echo "FAIL: library file is $real_name, expected libpsm_infinipath.so.1.16"
    exit 1
fi
if ! readelf -d -W "$lib" | grep -q '(NEEDED).*\[libpsm2\.so\.2\]'; then
    echo "FAIL: $lib does not depend on libpsm2.so.2"
    exit 1
fi

grep -v '^#' "$expected" | LC_ALL=C sort > "$tmp/expected" || exit 1
"$here/describe_psm1_library.sh" "$lib" > "$tmp/actual" || exit 1

if cmp -s "$tmp/expected" "$tmp/actual"; then
    echo "psm1-exported-symbols: OK - $lib matches Debian's PSM1 interface:" \
         "$(grep -c ' weak$' "$tmp/actual") weak psm_*," \
         "$(grep -c ' global$' "$tmp/actual") global __psm_*, no version node"
    exit 0
fi

LC_ALL=C comm -23 "$tmp/expected" "$tmp/actual" > "$tmp/missing"
LC_ALL=C comm -13 "$tmp/expected" "$tmp/actual" > "$tmp/extra"
echo "FAIL: $lib does not export Debian's PSM1 interface"
echo "missing ($(wc -l < "$tmp/missing")):"
sed 's/^/  - /' "$tmp/missing"
echo "extra ($(wc -l < "$tmp/extra")):"
sed 's/^/  + /' "$tmp/extra"
if grep -q ' _Z' "$tmp/extra"; then
    echo "note: C++ symbols leak: check compat/psm1/libpsm_infinipath.map"
fi
if grep -q '^version-definition' "$tmp/extra"; then
    echo "note: the library defines a version node; Debian's has none"
fi
exit 1

#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# exported-symbols test: the built libpsm2 must export exactly the dynamic
# interface of the reference libpsm2 11.2 (expected_symbols.txt): the same
# soname, version definitions, function and data names, each @@PSM2_1.0,
# the same data sizes, and nothing else (no C++ or internal symbol).
#
# usage: check_symbols.sh BUILT_LIBRARY EXPECTED_LIST
set -u
lib=$1
expected=$2
here=$(dirname "$0")
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

# The file itself: libpsm2.so.2.2 behind the libpsm2.so.2 soname link.
real_name=$(basename "$(readlink -f "$lib")")
if [ "$real_name" != libpsm2.so.2.2 ]; then
    echo "FAIL: library file is $real_name, expected libpsm2.so.2.2"
    exit 1
fi

grep -v '^#' "$expected" | LC_ALL=C sort > "$tmp/expected" || exit 1
"$here/describe_library.sh" "$lib" > "$tmp/actual" || exit 1

if cmp -s "$tmp/expected" "$tmp/actual"; then
    echo "exported-symbols: OK - $lib matches the reference:" \
         "$(grep -c '^function ' "$tmp/actual") functions," \
         "$(grep -c '^object ' "$tmp/actual") data objects," \
         "soname $(sed -n 's/^soname //p' "$tmp/actual")"
    exit 0
fi

LC_ALL=C comm -23 "$tmp/expected" "$tmp/actual" > "$tmp/missing"
LC_ALL=C comm -13 "$tmp/expected" "$tmp/actual" > "$tmp/extra"
echo "FAIL: $lib does not export the reference interface"
echo "missing ($(wc -l < "$tmp/missing")): in the reference, not in ours"
sed 's/^/  - /' "$tmp/missing"
echo "extra ($(wc -l < "$tmp/extra")): in ours, not in the reference"
sed 's/^/  + /' "$tmp/extra"
# Name the usual causes of extra lines.
if grep -q ' _Z' "$tmp/extra"; then
    echo "note: C++ symbols (_Z...) leak: check -fvisibility=hidden and compat/libpsm2.map"
fi
if grep -E '^(function|object) ' "$tmp/extra" | grep -qv '@@PSM2_1\.0'; then
    echo "note: some symbols are not versioned @@PSM2_1.0: check the version script"
fi
exit 1

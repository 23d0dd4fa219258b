#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# abi-headers test: our include/ must describe the same binary interface as
# the reference libpsm2 headers in /usr/include.
#
# The probe (abi_probe.c, generated from the reference headers) was built
# four times: C and C++, each against our headers and against the system's.
# This script
#   1. proves from the compilers' dependency lists which headers each build
#      used (ours must never see /usr/include/psm2*.h and vice versa),
#   2. runs the four probes and requires identical output (sizes, offsets,
#      alignments, enum and macro values),
#   3. requires identical function prototypes (gcc -aux-info) and an
#      identical macro set and definitions (gcc -E -dM).
#
# usage: compare_abi.sh OUR_INCLUDE_DIR BUILD_DIR
#   BUILD_DIR holds abi_probe_{c,cxx}_{ours,system}{,.d}, abi_probe_c_*.aux
#   and abi_macros_{ours,system}.txt, made by tests/abi/meson.build.
set -u

ours_dir=$1
dir=$2
sys_dir=/usr/include
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
failed=0

fail() {
    echo "FAIL: $*"
    failed=1
}

# Print the first line where two files differ, then a short diff.
show_difference() {
    line=$(cmp "$1" "$2" 2>/dev/null | sed -n 's/.* line \([0-9][0-9]*\).*/\1/p')
    if [ -n "$line" ]; then
        echo "  first difference at line $line:"
        echo "    reference: $(sed -n "${line}p" "$1")"
        echo "    ours:      $(sed -n "${line}p" "$2")"
    fi
    diff "$1" "$2" | head -n 20 | sed 's/^/    /'
}

# 1. Which headers did each build read?
for lang in c cxx; do
    for h in psm2.h psm2_mq.h psm2_am.h; do
        grep -q "$ours_dir/$h" "$dir/abi_probe_${lang}_ours.d" ||
            fail "$lang probe 'ours' did not read $ours_dir/$h"
        grep -q "$sys_dir/$h" "$dir/abi_probe_${lang}_ours.d" &&
            fail "$lang probe 'ours' read the system $sys_dir/$h"
        grep -q "$sys_dir/$h" "$dir/abi_probe_${lang}_system.d" ||
            fail "$lang probe 'system' did not read $sys_dir/$h"
        grep -q "$ours_dir/$h" "$dir/abi_probe_${lang}_system.d" &&
            fail "$lang probe 'system' read our $ours_dir/$h"
    done
done

# 2. Same facts from all four builds; the C build on the system headers is
#    the reference.
"$dir/abi_probe_c_system" > "$tmp/reference" || fail "abi_probe_c_system did not run"
[ -s "$tmp/reference" ] || fail "reference probe printed nothing"
for probe in abi_probe_c_ours abi_probe_cxx_ours abi_probe_cxx_system; do
    if ! "$dir/$probe" > "$tmp/$probe"; then
        fail "$probe did not run"
    elif ! cmp -s "$tmp/reference" "$tmp/$probe"; then
        fail "$probe differs from the reference layout/values"
        show_difference "$tmp/reference" "$tmp/$probe"
    fi
done

# 3a. Function prototypes, as gcc normalises them (path comments removed).
for v in system ours; do
    sed 's|^/\* [^*]* \*/ ||' "$dir/abi_probe_c_$v.aux" |
        grep -E '(^|[^A-Za-z0-9_])(psm2|psmi)_' | sort -u > "$tmp/functions_$v"
done
if ! cmp -s "$tmp/functions_system" "$tmp/functions_ours"; then
    fail "function prototypes differ"
    show_difference "$tmp/functions_system" "$tmp/functions_ours"
fi

# 3b. Every macro visible after including the headers (the probe's own and
#     libc's are the same in both builds, so any difference is ours).
for v in system ours; do
    sort "$dir/abi_macros_$v.txt" > "$tmp/macros_$v"
done
if ! cmp -s "$tmp/macros_system" "$tmp/macros_ours"; then
    fail "macro sets or definitions differ"
    show_difference "$tmp/macros_system" "$tmp/macros_ours"
fi

if [ "$failed" -ne 0 ]; then
    exit 1
fi
echo "abi-headers: OK - $(wc -l < "$tmp/reference") layout/value facts (C and C++)," \
     "$(wc -l < "$tmp/functions_ours") prototypes," \
     "$(grep -c '^#define PSM2' "$tmp/macros_ours") PSM2 macros identical;" \
     "ours from $ours_dir, reference from $sys_dir"

#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# abi-headers test: a set of headers must describe the same binary interface
# as the reference libpsm2 headers in /usr/include.
#
# The probe (abi_probe.c, generated from the reference headers) was built
# in C and C++, against the headers under test and against the system's.
# This script
#   1. proves from the compilers' dependency lists which headers each build
#      used (the tested build must never see /usr/include/psm2*.h and the
#      reference build never the tested ones),
#   2. runs the four probes and requires identical output (sizes, offsets,
#      alignments, enum and macro values),
#   3. requires identical function prototypes (gcc -aux-info) and an
#      identical macro set and definitions (gcc -E -dM).
#
# usage: compare_abi.sh HEADER_DIR BUILD_DIR VARIANT [EXPECTED_DIFFERENCE...]
#   BUILD_DIR holds abi_probe_{c,cxx}_{VARIANT,system}{,.d},
#   abi_probe_c_*.aux and abi_macros_{VARIANT,system}.txt, made by
#   tests/abi/meson.build.
#   With EXPECTED_DIFFERENCEs the check is run on deliberately broken
#   headers: it passes only if the comparison fails and its report contains
#   every one of those texts (so the test is known to catch what it is meant
#   to catch).
set -u

ours_dir=$1
dir=$2
variant=$3
shift 3
sys_dir=/usr/include
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

# Print the first line where two files differ, then a short diff.
show_difference() {
    line=$(cmp "$1" "$2" 2>/dev/null | sed -n 's/.* line \([0-9][0-9]*\).*/\1/p')
    if [ -n "$line" ]; then
        echo "  first difference at line $line:"
        echo "    reference: $(sed -n "${line}p" "$1")"
        echo "    tested:    $(sed -n "${line}p" "$2")"
    fi
    diff "$1" "$2" | head -n 20 | sed 's/^/    /'
}

# Prints a report; the last line is OK or FAIL.
run_checks() {
    failed=0
    fail() {
        echo "FAIL: $*"
        failed=1
    }

    # 1. Which headers did each build read?
    for lang in c cxx; do
        for h in psm2.h psm2_mq.h psm2_am.h; do
            grep -q "$ours_dir/$h" "$dir/abi_probe_${lang}_$variant.d" ||
                fail "$lang probe '$variant' did not read $ours_dir/$h"
            grep -q "$sys_dir/$h" "$dir/abi_probe_${lang}_$variant.d" &&
                fail "$lang probe '$variant' read the system $sys_dir/$h"
            grep -q "$sys_dir/$h" "$dir/abi_probe_${lang}_system.d" ||
                fail "$lang probe 'system' did not read $sys_dir/$h"
            grep -q "$ours_dir/$h" "$dir/abi_probe_${lang}_system.d" &&
                fail "$lang probe 'system' read the tested $ours_dir/$h"
        done
    done

    # 2. Same facts from all four builds; the C build on the system headers
    #    is the reference.
    "$dir/abi_probe_c_system" > "$tmp/reference" || fail "abi_probe_c_system did not run"
    [ -s "$tmp/reference" ] || fail "reference probe printed nothing"
    for probe in "abi_probe_c_$variant" "abi_probe_cxx_$variant" abi_probe_cxx_system; do
        if ! "$dir/$probe" > "$tmp/$probe"; then
            fail "$probe did not run"
        elif ! cmp -s "$tmp/reference" "$tmp/$probe"; then
            fail "$probe differs from the reference layout/values"
            show_difference "$tmp/reference" "$tmp/$probe"
        fi
    done

    # 3a. Function prototypes as gcc normalises them (path comments removed;
    #     each appears twice, from the header and the probe's redeclaration).
    for v in system "$variant"; do
        sed 's|^/\* [^*]* \*/ ||' "$dir/abi_probe_c_$v.aux" |
            grep -E '(^|[^A-Za-z0-9_])(psm2|psmi)_' | sort -u > "$tmp/functions_$v"
    done
    if ! cmp -s "$tmp/functions_system" "$tmp/functions_$variant"; then
        fail "function prototypes differ"
        show_difference "$tmp/functions_system" "$tmp/functions_$variant"
    fi

    # 3b. Every macro visible after including the headers (the probe's own
    #     and libc's are the same in both builds, so any difference is ours).
    for v in system "$variant"; do
        sort "$dir/abi_macros_$v.txt" > "$tmp/macros_$v"
    done
    if ! cmp -s "$tmp/macros_system" "$tmp/macros_$variant"; then
        fail "macro sets or definitions differ"
        show_difference "$tmp/macros_system" "$tmp/macros_$variant"
    fi

    if [ "$failed" -ne 0 ]; then
        echo FAIL
        return
    fi
    echo "abi-headers: $(wc -l < "$tmp/reference") layout/value facts (C and C++)," \
         "$(wc -l < "$tmp/functions_$variant") prototypes," \
         "$(grep -c '^#define PSM2' "$tmp/macros_$variant") PSM2 macros identical;" \
         "tested $ours_dir, reference $sys_dir"
    echo OK
}

run_checks > "$tmp/report" 2>&1
verdict=$(tail -n 1 "$tmp/report")

if [ $# -eq 0 ]; then
    cat "$tmp/report"
    [ "$verdict" = OK ]
    exit
fi

# Self-test on broken headers.
if [ "$verdict" = OK ]; then
    echo "FAIL: the broken headers in $ours_dir passed the comparison"
    exit 1
fi
for expected in "$@"; do
    if ! grep -qF -- "$expected" "$tmp/report"; then
        echo "FAIL: the comparison failed, but did not report '$expected':"
        cat "$tmp/report"
        exit 1
    fi
    echo "broken headers rejected as expected: '$expected'"
done

#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Print the dynamic interface of a PSM1 library, one sorted fact a line:
#   soname NAME
#   version-definition NAME      (from .gnu.version_d; Debian's PSM1 has none)
#   function NAME VERSION BINDING
#   object NAME VERSION size 0xN
# VERSION is "Base" for an unversioned symbol.  Binding is kept (unlike the
# PSM2 test): Debian's library exports psm_* weak over strong __psm_*, and a
# profiling layer that interposes psm_* relies on that.
#
# usage: describe_psm1_library.sh LIBRARY [NAME_REGEX]
#   NAME_REGEX (extended regex) keeps only matching names; default: all.
set -eu
lib=$1
filter=${2:-.}
[ -r "$lib" ] || { echo "describe_psm1_library.sh: cannot read $lib" >&2; exit 2; }

{
    readelf -d -W "$lib" |
        sed -n 's/.*(SONAME).*\[\(.*\)\].*/soname \1/p'
    readelf -V -W "$lib" |
        sed -n '/^Version definition section/,/^$/s/.*Name: *\([^ ]*\).*/version-definition \1/p'
    # objdump -T: ADDR, 7 flag columns (2nd: w = weak), section, size, version, name
    objdump -T -w "$lib" | awk -v filter="$filter" '
        /^[0-9a-f]+ / && $0 !~ /\*UND\*/ {
            name = $NF; version = $(NF - 1); size = $(NF - 2)
            if (name !~ filter) next
            gsub(/[()]/, "", version)
            bind = (substr($0, 19, 1) == "w") ? "weak" : "global"
            if ($0 ~ / DF /) {
                print "function " name " " version " " bind
            } else if ($0 ~ / DO /) {
                sub(/^0+/, "", size); if (size == "") size = "0"
                print "object " name " " version " size 0x" size
            }
        }'
} | LC_ALL=C sort

#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Print the dynamic interface of a shared library, one sorted fact a line:
#   soname NAME
#   version-definition NAME        (from .gnu.version_d)
#   version-node NAME              (the absolute symbol of a version node)
#   function NAME@@VERSION
#   object NAME@@VERSION size 0xN  (data size matters: copy relocations)
# Binding (weak or global) and addresses are left out on purpose: neither
# changes what a program linked against the library can do.
#
# usage: describe_library.sh LIBRARY
set -eu
lib=$1
[ -r "$lib" ] || { echo "describe_library.sh: cannot read $lib" >&2; exit 2; }

{
    readelf -d -W "$lib" |
        sed -n 's/.*(SONAME).*\[\(.*\)\].*/soname \1/p'
    readelf -V -W "$lib" |
        sed -n '/^Version definition section/,/^$/s/.*Name: *\([^ ]*\).*/version-definition \1/p'
    # nm -S prints "addr [size] type name"; the size is absent for some.
    nm -D --defined-only -S "$lib" | awk '
        NF == 4 { size = $2; type = $3; name = $4 }
        NF == 3 { size = "0"; type = $2; name = $3 }
        NF == 3 || NF == 4 {
            if (type ~ /^[TtWi]$/) {
                print "function " name
            } else if (type ~ /^[BbDdRrVvGgSs]$/) {
                sub(/^0+/, "", size)
                if (size == "") size = "0"
                print "object " name " size 0x" size
            } else if (type == "A") {
                print "version-node " name
            } else {
                print "other-" type " " name
            }
        }'
} | LC_ALL=C sort

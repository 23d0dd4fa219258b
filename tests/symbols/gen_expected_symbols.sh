#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Regenerate expected_symbols.txt from the reference library (run by hand;
# the test itself only reads the committed file, so the reference library
# need not be installed where the tests run):
#   tests/symbols/gen_expected_symbols.sh > tests/symbols/expected_symbols.txt
set -eu
here=$(dirname "$0")
ref=${1:-/usr/lib/x86_64-linux-gnu/libpsm2.so.2}
version=$(dpkg-query -W -f '${Package} ${Version}' libpsm2-2 2>/dev/null || echo "unknown package")
echo "# Dynamic interface of $ref ($version),"
echo "# made by tests/symbols/gen_expected_symbols.sh; lines starting with # are ignored."
"$here/describe_library.sh" "$ref"

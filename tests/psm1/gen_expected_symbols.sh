#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Regenerate expected_symbols.txt from Debian's PSM1 library (run by hand; the
# test reads only the committed file, so the tests do not need that library):
#   tests/psm1/gen_expected_symbols.sh > tests/psm1/expected_symbols.txt
#
# Debian's library exports ~345 symbols, most of them its internals (psmi_*,
# ips_*, kcopy_*, knem_*) that no header declares and no client links.  The
# interface is the psm_* API and the __psm_* definitions behind it, except
# __psm_ep_open_internal: an internal helper with no psm_* alias and no
# declaration anywhere, which the shim therefore does not export.
set -eu
here=$(dirname "$0")
ref=${1:-/usr/lib/x86_64-linux-gnu/libpsm_infinipath.so.1}
version=$(dpkg-query -W -f '${Package} ${Version}' libpsm-infinipath1 2>/dev/null || echo "unknown package")
echo "# PSM1 interface of $(readlink -f "$ref") ($version),"
echo "# made by tests/psm1/gen_expected_symbols.sh; lines starting with # are ignored."
"$here/describe_psm1_library.sh" "$ref" '^(__)?psm_' |
    grep -v ' __psm_ep_open_internal '

/* glob(3) over the virtual HFI paths. The result is allocated the way glibc
 * allocates its own (every string and the vector from malloc), so the C
 * library's globfree releases it, also after GLOB_APPEND onto a real result.
 * Honours GLOB_DOOFFS, GLOB_APPEND, GLOB_MARK, GLOB_NOCHECK, GLOB_NOSORT and
 * GLOB_ONLYDIR; other flags do not change the answer for these paths. */
#ifndef PSM2RUN_GLOB_ANSWER_H
#define PSM2RUN_GLOB_ANSWER_H

#include <glob.h>

int vhfi_glob(const char *pattern, int flags, glob_t *out);

#endif

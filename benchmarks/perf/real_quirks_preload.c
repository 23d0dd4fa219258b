/* libpsm2-real-quirks.so: LD_PRELOADed ONLY when a comparison runs an
 * unmodified client (Open MPI) on Debian's libpsm2 11.2.185 without HFI
 * hardware. That library returns PSM2_INTERNAL_ERR from psm2_init although
 * self and shm work afterwards, and crashes in psm2_finalize; clients give
 * up on the first and die in the second. This shim reports PSM2_OK for that
 * one code and skips psm2_finalize, nothing else. It resolves the real
 * functions at run time (dlsym RTLD_NEXT) and is never linked to any
 * libpsm2; psm2-perf does the same in its own code (PSM2PERF_REAL_LIBRARY). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>

/* Values from psm2.h (not included: this file must not depend on a header). */
enum { QUIRK_PSM2_OK = 0, QUIRK_PSM2_INTERNAL_ERR = 8 };

__attribute__((visibility("default"))) int psm2_init(int *major, int *minor)
{
    typedef int (*init_fn)(int *, int *);
    init_fn real = (init_fn)dlsym(RTLD_NEXT, "psm2_init");
    int err = real ? real(major, minor) : QUIRK_PSM2_INTERNAL_ERR;
    return err == QUIRK_PSM2_INTERNAL_ERR ? QUIRK_PSM2_OK : err;
}

__attribute__((visibility("default"))) int psm2_finalize(void)
{
    return QUIRK_PSM2_OK;
}

/* libpsm2-run-preload.so: the LD_PRELOAD interposer psm2-run puts under a
 * client (Open MPI, libfabric, any program) so that its "is there an
 * Omni-Path HFI?" probes see the simulated units (see virtual_hfi.h).
 *
 * Only path-based probes are answered: glob, stat/lstat/fstatat, access,
 * open/fopen (read-only), readlink. Anything outside /dev/hfi* and
 * /sys/class/infiniband, and every call made from libpsm2.so itself, goes to
 * the C library untouched: the library under test must find its devices the
 * honest way, so nothing here can fool it into opening a device that is not
 * there. Set PSM2RUN_VERBOSE=1 to log every answered probe on stderr. */
#undef _FILE_OFFSET_BITS /* define stat and stat64 separately, not as aliases */
#undef _FORTIFY_SOURCE
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "glob_answer.h"
#include "virtual_hfi.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))
#define CALLER __builtin_return_address(0)

/* A major number no real driver here uses, so a simulated /dev/hfi1_N is
 * recognisable in an ls -l of a client's view. */
#define VHFI_MAJOR 240

_Static_assert(sizeof(struct stat) == sizeof(struct stat64), "stat and stat64 share a layout on LP64");
_Static_assert(sizeof(glob_t) == sizeof(glob64_t), "glob_t and glob64_t share a layout on LP64");

/* ---- the next definition of a symbol (normally libc's) ---- */

static void *next_symbol(const char *name)
{
    return dlsym(RTLD_NEXT, name);
}

/* For symbols libc keeps only as compat versions (binaries built before
 * glibc 2.33 call __xstat and friends). */
static void *next_versioned(const char *name, const char *version)
{
    return dlvsym(RTLD_NEXT, name, version);
}

#define NEXT(type, name)                                                                       \
    static type real_fn;                                                                       \
    if (!real_fn)                                                                              \
        real_fn = (type)next_symbol(name);

/* ---- who is asking ---- */

static bool verbose(void)
{
    static int cached = -1;
    if (cached < 0) {
        const char *v = getenv("PSM2RUN_VERBOSE");
        cached = v && strcmp(v, "0") != 0 && *v;
    }
    return cached;
}

static bool called_from_psm2(const void *return_address)
{
    Dl_info info;
    const char *base;
    if (!dladdr(return_address, &info) || !info.dli_fname)
        return false;
    base = strrchr(info.dli_fname, '/');
    base = base ? base + 1 : info.dli_fname;
    return strncmp(base, "libpsm2.so", 10) == 0;
}

/* The *at() calls are answered for absolute paths only; a relative path
 * there is resolved against a directory fd, which is never one of ours.
 * libc declares these paths nonnull, but a client may still pass NULL (the
 * kernel answers EFAULT): compiled with -fno-delete-null-pointer-checks. */
static bool is_absolute(const char *path)
{
    return path != NULL && path[0] == '/';
}

/* Looks path up if this call should be answered from the simulated units. */
static bool virtual_answer(const char *path, const void *caller, struct vnode *node)
{
    if (!vhfi_in_namespace(path) || called_from_psm2(caller))
        return false;
    *node = vhfi_lookup(path);
    return node->kind != VNODE_NONE;
}

static void trace(const char *call, const char *path, const char *result)
{
    if (verbose())
        fprintf(stderr, "psm2-run[%d]: %s(\"%s\") -> %.*s (simulated HFI)\n", (int)getpid(), call, path,
                (int)strcspn(result, "\n"), result);
}

static int fail(int err)
{
    errno = err;
    return -1;
}

/* ---- stat ---- */

static unsigned long path_inode(const char *path)
{
    unsigned long h = 14695981039346656037UL; /* FNV-1a: a stable, distinct inode per path */
    for (; *path; ++path)
        h = (h ^ (unsigned char)*path) * 1099511628211UL;
    return h;
}

static int fill_stat(const char *call, const char *path, const struct vnode *n, bool follow,
                     struct stat *st)
{
    memset(st, 0, sizeof *st);
    st->st_ino = path_inode(path);
    st->st_nlink = 1;
    st->st_blksize = 4096;
    switch (n->kind) {
    case VNODE_DIRECTORY:
        st->st_mode = S_IFDIR | 0755;
        st->st_nlink = 2;
        break;
    case VNODE_CHAR_DEVICE:
        st->st_mode = S_IFCHR | 0666;
        st->st_rdev = makedev(VHFI_MAJOR, n->unit);
        break;
    case VNODE_FILE:
        st->st_mode = S_IFREG | 0444;
        st->st_size = 4096; /* what sysfs reports for its attribute files */
        break;
    case VNODE_SYMLINK:
        if (follow) { /* the PCI device it names is not simulated */
            trace(call, path, "ENOENT");
            return fail(ENOENT);
        }
        st->st_mode = S_IFLNK | 0777;
        st->st_size = (off_t)n->length;
        break;
    case VNODE_NONE:
        return fail(ENOENT);
    }
    trace(call, path, "exists");
    return 0;
}

typedef int (*stat_fn)(const char *, struct stat *);
typedef int (*fstatat_fn)(int, const char *, struct stat *, int);
typedef int (*xstat_fn)(int, const char *, struct stat *);

EXPORT int stat(const char *path, struct stat *st)
{
    struct vnode n;
    if (virtual_answer(path, CALLER, &n))
        return fill_stat("stat", path, &n, true, st);
    NEXT(stat_fn, "stat");
    return real_fn(path, st);
}

EXPORT int stat64(const char *path, struct stat64 *st)
{
    struct vnode n;
    if (virtual_answer(path, CALLER, &n))
        return fill_stat("stat64", path, &n, true, (struct stat *)st);
    NEXT(stat_fn, "stat64");
    return real_fn(path, (struct stat *)st);
}

EXPORT int lstat(const char *path, struct stat *st)
{
    struct vnode n;
    if (virtual_answer(path, CALLER, &n))
        return fill_stat("lstat", path, &n, false, st);
    NEXT(stat_fn, "lstat");
    return real_fn(path, st);
}

EXPORT int lstat64(const char *path, struct stat64 *st)
{
    struct vnode n;
    if (virtual_answer(path, CALLER, &n))
        return fill_stat("lstat64", path, &n, false, (struct stat *)st);
    NEXT(stat_fn, "lstat64");
    return real_fn(path, (struct stat *)st);
}

EXPORT int fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
    struct vnode n;
    if (is_absolute(path) && virtual_answer(path, CALLER, &n))
        return fill_stat("fstatat", path, &n, !(flags & AT_SYMLINK_NOFOLLOW), st);
    NEXT(fstatat_fn, "fstatat");
    return real_fn(dirfd, path, st, flags);
}

EXPORT int fstatat64(int dirfd, const char *path, struct stat64 *st, int flags)
{
    struct vnode n;
    if (is_absolute(path) && virtual_answer(path, CALLER, &n))
        return fill_stat("fstatat64", path, &n, !(flags & AT_SYMLINK_NOFOLLOW), (struct stat *)st);
    NEXT(fstatat_fn, "fstatat64");
    return real_fn(dirfd, path, (struct stat *)st, flags);
}

/* Binaries linked against glibc < 2.33 reach stat through these. */
EXPORT int __xstat(int ver, const char *path, struct stat *st)
{
    static xstat_fn real_fn;
    struct vnode n;
    if (virtual_answer(path, CALLER, &n))
        return fill_stat("stat", path, &n, true, st);
    if (!real_fn)
        real_fn = (xstat_fn)next_versioned("__xstat", "GLIBC_2.2.5");
    return real_fn ? real_fn(ver, path, st) : fail(ENOSYS);
}

EXPORT int __lxstat(int ver, const char *path, struct stat *st)
{
    static xstat_fn real_fn;
    struct vnode n;
    if (virtual_answer(path, CALLER, &n))
        return fill_stat("lstat", path, &n, false, st);
    if (!real_fn)
        real_fn = (xstat_fn)next_versioned("__lxstat", "GLIBC_2.2.5");
    return real_fn ? real_fn(ver, path, st) : fail(ENOSYS);
}

/* statx: what coreutils (ls, stat) use, handy when looking at a client's view. */
typedef int (*statx_fn)(int, const char *, int, unsigned int, struct statx *);

EXPORT int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *stx)
{
    struct vnode n;
    struct stat st;
    if (is_absolute(path) && virtual_answer(path, CALLER, &n)) {
        if (fill_stat("statx", path, &n, !(flags & AT_SYMLINK_NOFOLLOW), &st) != 0)
            return -1;
        memset(stx, 0, sizeof *stx);
        stx->stx_mask = STATX_BASIC_STATS;
        stx->stx_blksize = (unsigned)st.st_blksize;
        stx->stx_nlink = (unsigned)st.st_nlink;
        stx->stx_mode = (unsigned short)st.st_mode;
        stx->stx_ino = st.st_ino;
        stx->stx_size = (unsigned long long)st.st_size;
        stx->stx_rdev_major = major(st.st_rdev);
        stx->stx_rdev_minor = minor(st.st_rdev);
        return 0;
    }
    NEXT(statx_fn, "statx");
    return real_fn(dirfd, path, flags, mask, stx);
}

/* ---- access ---- */

static int virtual_access(const char *path, const struct vnode *n, int mode)
{
    const bool writable = n->kind == VNODE_CHAR_DEVICE;
    const bool searchable = n->kind == VNODE_DIRECTORY;
    if (n->kind == VNODE_SYMLINK || ((mode & W_OK) && !writable) || ((mode & X_OK) && !searchable)) {
        trace("access", path, "denied");
        return fail(n->kind == VNODE_SYMLINK ? ENOENT : EACCES);
    }
    trace("access", path, "granted");
    return 0;
}

typedef int (*access_fn)(const char *, int);
typedef int (*faccessat_fn)(int, const char *, int, int);

EXPORT int access(const char *path, int mode)
{
    struct vnode n;
    if (virtual_answer(path, CALLER, &n))
        return virtual_access(path, &n, mode);
    NEXT(access_fn, "access");
    return real_fn(path, mode);
}

EXPORT int faccessat(int dirfd, const char *path, int mode, int flags)
{
    struct vnode n;
    if (is_absolute(path) && virtual_answer(path, CALLER, &n))
        return virtual_access(path, &n, mode);
    NEXT(faccessat_fn, "faccessat");
    return real_fn(dirfd, path, mode, flags);
}

/* ---- open ---- */

/* An fd that reads as the attribute's text (files) or behaves like a device
 * that accepts nothing (/dev/null for the character devices). Directories
 * and writes are refused: nothing a probe needs. */
static int virtual_open(const char *call, const char *path, const struct vnode *n, int flags)
{
    int fd;
    if ((flags & O_ACCMODE) != O_RDONLY && n->kind != VNODE_CHAR_DEVICE) {
        trace(call, path, "EACCES");
        return fail(EACCES);
    }
    if (n->kind == VNODE_CHAR_DEVICE) {
        trace(call, path, "/dev/null");
        return open("/dev/null", flags & (O_ACCMODE | O_CLOEXEC | O_NONBLOCK));
    }
    if (n->kind != VNODE_FILE) {
        trace(call, path, "ENOENT");
        return fail(ENOENT);
    }
    fd = memfd_create("psm2-run-sysfs", (flags & O_CLOEXEC) ? MFD_CLOEXEC : 0);
    if (fd < 0)
        return -1;
    if (write(fd, n->content, n->length) != (ssize_t)n->length || lseek(fd, 0, SEEK_SET) != 0) {
        int err = errno;
        close(fd);
        return fail(err ? err : EIO);
    }
    trace(call, path, n->content);
    return fd;
}

static bool needs_mode(int flags)
{
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef int (*open2_fn)(const char *, int);
typedef int (*openat2_fn)(int, const char *, int);

#define OPEN_BODY(name)                                                                        \
    struct vnode n;                                                                            \
    mode_t mode = 0;                                                                           \
    if (needs_mode(flags)) {                                                                   \
        va_list ap;                                                                            \
        va_start(ap, flags);                                                                   \
        mode = va_arg(ap, mode_t);                                                             \
        va_end(ap);                                                                            \
    }                                                                                          \
    if (virtual_answer(path, CALLER, &n))                                                      \
        return virtual_open(name, path, &n, flags);                                           \
    NEXT(open_fn, name);                                                                       \
    return real_fn(path, flags, mode);

EXPORT int open(const char *path, int flags, ...) { OPEN_BODY("open") }
EXPORT int open64(const char *path, int flags, ...) { OPEN_BODY("open64") }

#define OPENAT_BODY(name)                                                                      \
    struct vnode n;                                                                            \
    mode_t mode = 0;                                                                           \
    if (needs_mode(flags)) {                                                                   \
        va_list ap;                                                                            \
        va_start(ap, flags);                                                                   \
        mode = va_arg(ap, mode_t);                                                             \
        va_end(ap);                                                                            \
    }                                                                                          \
    if (is_absolute(path) && virtual_answer(path, CALLER, &n))                            \
        return virtual_open(name, path, &n, flags);                                           \
    NEXT(openat_fn, name);                                                                     \
    return real_fn(dirfd, path, flags, mode);

EXPORT int openat(int dirfd, const char *path, int flags, ...) { OPENAT_BODY("openat") }
EXPORT int openat64(int dirfd, const char *path, int flags, ...) { OPENAT_BODY("openat64") }

/* The fortified entry points (_FORTIFY_SOURCE builds call these). */
EXPORT int __open_2(const char *path, int flags)
{
    struct vnode n;
    if (virtual_answer(path, CALLER, &n))
        return virtual_open("open", path, &n, flags);
    NEXT(open2_fn, "__open_2");
    return real_fn(path, flags);
}

EXPORT int __open64_2(const char *path, int flags)
{
    struct vnode n;
    if (virtual_answer(path, CALLER, &n))
        return virtual_open("open64", path, &n, flags);
    NEXT(open2_fn, "__open64_2");
    return real_fn(path, flags);
}

EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
    struct vnode n;
    if (is_absolute(path) && virtual_answer(path, CALLER, &n))
        return virtual_open("openat", path, &n, flags);
    NEXT(openat2_fn, "__openat_2");
    return real_fn(dirfd, path, flags);
}

/* ---- fopen ---- */

typedef FILE *(*fopen_fn)(const char *, const char *);

static FILE *virtual_fopen(const char *call, const char *path, const struct vnode *n, const char *mode)
{
    int flags = strchr(mode, 'e') ? O_CLOEXEC : 0;
    int fd;
    FILE *f;
    if (strpbrk(mode, "wa+")) {
        trace(call, path, "EACCES");
        errno = EACCES;
        return NULL;
    }
    fd = virtual_open(call, path, n, O_RDONLY | flags);
    if (fd < 0)
        return NULL;
    f = fdopen(fd, mode);
    if (!f) {
        int err = errno;
        close(fd);
        errno = err;
    }
    return f;
}

EXPORT FILE *fopen(const char *path, const char *mode)
{
    struct vnode n;
    if (virtual_answer(path, CALLER, &n))
        return virtual_fopen("fopen", path, &n, mode);
    NEXT(fopen_fn, "fopen");
    return real_fn(path, mode);
}

EXPORT FILE *fopen64(const char *path, const char *mode)
{
    struct vnode n;
    if (virtual_answer(path, CALLER, &n))
        return virtual_fopen("fopen64", path, &n, mode);
    NEXT(fopen_fn, "fopen64");
    return real_fn(path, mode);
}

/* ---- readlink ---- */

typedef ssize_t (*readlink_fn)(const char *, char *, size_t);
typedef ssize_t (*readlinkat_fn)(int, const char *, char *, size_t);

static ssize_t virtual_readlink(const char *path, const struct vnode *n, char *buf, size_t size)
{
    size_t len = n->length < size ? n->length : size;
    if (n->kind != VNODE_SYMLINK) {
        trace("readlink", path, "EINVAL");
        return fail(EINVAL);
    }
    memcpy(buf, n->content, len);
    trace("readlink", path, n->content);
    return (ssize_t)len;
}

EXPORT ssize_t readlink(const char *path, char *buf, size_t size)
{
    struct vnode n;
    if (virtual_answer(path, CALLER, &n))
        return virtual_readlink(path, &n, buf, size);
    NEXT(readlink_fn, "readlink");
    return real_fn(path, buf, size);
}

EXPORT ssize_t readlinkat(int dirfd, const char *path, char *buf, size_t size)
{
    struct vnode n;
    if (is_absolute(path) && virtual_answer(path, CALLER, &n))
        return virtual_readlink(path, &n, buf, size);
    NEXT(readlinkat_fn, "readlinkat");
    return real_fn(dirfd, path, buf, size);
}

/* ---- glob ---- */

typedef int (*glob_fn)(const char *, int, int (*)(const char *, int), glob_t *);

static int answer_glob(const char *call, const char *pattern, int flags, glob_t *out)
{
    int rc = vhfi_glob(pattern, flags, out);
    if (verbose()) {
        char result[32];
        snprintf(result, sizeof result, rc == 0 ? "%zu paths" : "no match", (size_t)out->gl_pathc);
        trace(call, pattern, result);
    }
    return rc;
}

EXPORT int glob(const char *pattern, int flags, int (*errfunc)(const char *, int), glob_t *out)
{
    if (vhfi_in_namespace(pattern) && !called_from_psm2(CALLER))
        return answer_glob("glob", pattern, flags, out);
    NEXT(glob_fn, "glob");
    return real_fn(pattern, flags, errfunc, out);
}

EXPORT int glob64(const char *pattern, int flags, int (*errfunc)(const char *, int), glob64_t *out)
{
    if (vhfi_in_namespace(pattern) && !called_from_psm2(CALLER))
        return answer_glob("glob64", pattern, flags, (glob_t *)out);
    NEXT(glob_fn, "glob64");
    return real_fn(pattern, flags, errfunc, (glob_t *)out);
}

#include "glob_answer.h"

#include "virtual_hfi.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MATCHES 256

struct matches {
    const char *pattern;
    int flags;
    char *paths[MAX_MATCHES];
    size_t count;
    bool out_of_memory;
};

static void collect(const char *path, enum vnode_kind kind, void *ctx)
{
    struct matches *m = ctx;
    size_t len = strlen(path);
    bool mark = (m->flags & GLOB_MARK) && kind == VNODE_DIRECTORY;
    char *copy;

    if ((m->flags & GLOB_ONLYDIR) && kind != VNODE_DIRECTORY)
        return;
    if (fnmatch(m->pattern, path, FNM_PATHNAME | FNM_PERIOD) != 0 || m->count == MAX_MATCHES)
        return;
    copy = malloc(len + (mark ? 2 : 1));
    if (!copy) {
        m->out_of_memory = true;
        return;
    }
    memcpy(copy, path, len);
    if (mark)
        copy[len++] = '/';
    copy[len] = '\0';
    m->paths[m->count++] = copy;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void release(struct matches *m)
{
    size_t i;
    for (i = 0; i < m->count; ++i)
        free(m->paths[i]);
    m->count = 0;
}

int vhfi_glob(const char *pattern, int flags, glob_t *out)
{
    struct matches m;
    size_t offs, old, i;
    char **vec;

    memset(&m, 0, sizeof m);
    m.pattern = pattern;
    m.flags = flags;
    vhfi_for_each(collect, &m);
    if (m.count == 0 && (flags & GLOB_NOCHECK)) {
        m.paths[0] = strdup(pattern);
        if (!m.paths[0])
            return GLOB_NOSPACE;
        m.count = 1;
    }
    if (m.out_of_memory) {
        release(&m);
        return GLOB_NOSPACE;
    }
    if (!(flags & GLOB_APPEND)) {
        out->gl_pathc = 0;
        out->gl_pathv = NULL;
        if (!(flags & GLOB_DOOFFS))
            out->gl_offs = 0;
    }
    if (m.count == 0)
        return GLOB_NOMATCH;
    if (!(flags & GLOB_NOSORT))
        qsort(m.paths, m.count, sizeof m.paths[0], by_name);

    offs = (flags & GLOB_DOOFFS) ? out->gl_offs : 0;
    old = out->gl_pathc;
    vec = realloc(out->gl_pathv, (offs + old + m.count + 1) * sizeof(char *));
    if (!vec) {
        release(&m);
        return GLOB_NOSPACE;
    }
    if (!out->gl_pathv) {
        for (i = 0; i < offs; ++i)
            vec[i] = NULL;
    }
    for (i = 0; i < m.count; ++i)
        vec[offs + old + i] = m.paths[i];
    vec[offs + old + m.count] = NULL;
    out->gl_pathv = vec;
    out->gl_pathc = old + m.count;
    out->gl_flags = flags;
    return 0;
}

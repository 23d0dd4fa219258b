#include "virtual_hfi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEV_PREFIX "/dev/hfi1_"
#define SYS_CLASS "/sys/class/infiniband"
#define MAX_UNITS 8 /* the simulated fabric's limit */
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct attribute {
    const char *name;
    const char *text;
};

/* Per-unit attributes (hfi1_<u>/...). The context counts match the simulated
 * fabric's per-unit table; clients only check that some are free. */
static const struct attribute unit_attributes[] = {
    {"board_id", "Simulated HFI (psm2-run)\n"},
    {"hw_rev", "0\n"},
    {"nctxts", "128\n"},
    {"nfreectxts", "128\n"},
};

/* Port attributes (hfi1_<u>/ports/1/...). Open MPI's psm2 MTL opens only if
 * some state file contains "ACTIVE". */
static const struct attribute port_attributes[] = {
    {"phys_state", "5: LinkUp\n"},
    {"rate", "100 Gb/sec (4X EDR)\n"},
    {"state", "4: ACTIVE\n"},
};

static bool starts_with(const char *s, const char *prefix, const char **rest)
{
    size_t n = strlen(prefix);
    if (strncmp(s, prefix, n) != 0)
        return false;
    *rest = s + n;
    return true;
}

/* A canonical decimal unit number (no sign, no leading zero) below units. */
static bool parse_unit(const char *s, unsigned units, unsigned *unit, const char **rest)
{
    char *end = NULL;
    unsigned long v;
    if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
        return false;
    v = strtoul(s, &end, 10);
    if (v >= units)
        return false;
    *unit = (unsigned)v;
    *rest = end;
    return true;
}

static struct vnode make(enum vnode_kind kind, unsigned unit, const char *text)
{
    struct vnode n;
    int len;
    memset(&n, 0, sizeof n);
    n.kind = kind;
    n.unit = unit;
    if (text) {
        len = snprintf(n.content, sizeof n.content, "%s", text);
        n.length = len > 0 ? (size_t)len : 0;
    }
    return n;
}

static struct vnode lookup_attribute(const struct attribute *table, size_t count, const char *name,
                                     unsigned unit)
{
    size_t i;
    for (i = 0; i < count; ++i) {
        if (strcmp(name, table[i].name) == 0)
            return make(VNODE_FILE, unit, table[i].text);
    }
    return make(VNODE_NONE, 0, NULL);
}

unsigned vhfi_units(void)
{
    /* Read once; the environment of a process does not change under us in
     * a way that matters (psm2-run sets it before the exec). */
    static int cached = -1;
    if (cached < 0) {
        const char *v = getenv("PSM2RUN_UNITS");
        unsigned long n = v ? strtoul(v, NULL, 10) : 0;
        cached = (int)(n > MAX_UNITS ? MAX_UNITS : n);
    }
    return (unsigned)cached;
}

bool vhfi_in_namespace(const char *path)
{
    const char *rest;
    return path && vhfi_units() > 0 &&
           (starts_with(path, "/dev/hfi", &rest) || starts_with(path, SYS_CLASS, &rest));
}

struct vnode vhfi_lookup(const char *path)
{
    const unsigned units = vhfi_units();
    const char *rest = NULL;
    unsigned unit = 0;
    char target[64];

    if (!path || units == 0)
        return make(VNODE_NONE, 0, NULL);
    if (starts_with(path, DEV_PREFIX, &rest)) {
        if (parse_unit(rest, units, &unit, &rest) && *rest == '\0')
            return make(VNODE_CHAR_DEVICE, unit, NULL);
        return make(VNODE_NONE, 0, NULL);
    }
    if (!starts_with(path, SYS_CLASS, &rest))
        return make(VNODE_NONE, 0, NULL);
    if (*rest == '\0' || strcmp(rest, "/") == 0)
        return make(VNODE_DIRECTORY, 0, NULL);
    if (!starts_with(rest, "/hfi1_", &rest) || !parse_unit(rest, units, &unit, &rest))
        return make(VNODE_NONE, 0, NULL);
    if (*rest == '\0')
        return make(VNODE_DIRECTORY, unit, NULL);
    if (strcmp(rest, "/device") == 0) {
        /* A distinct PCI address per unit, for clients that report the
         * NIC's bus location (libfabric's fi_nic). */
        snprintf(target, sizeof target, "../../../0000:00:%02x.0", 0x10 + unit);
        return make(VNODE_SYMLINK, unit, target);
    }
    if (strcmp(rest, "/ports") == 0 || strcmp(rest, "/ports/1") == 0)
        return make(VNODE_DIRECTORY, unit, NULL);
    if (starts_with(rest, "/ports/1/", &rest))
        return lookup_attribute(port_attributes, ARRAY_LEN(port_attributes), rest, unit);
    if (*rest == '/')
        return lookup_attribute(unit_attributes, ARRAY_LEN(unit_attributes), rest + 1, unit);
    return make(VNODE_NONE, 0, NULL);
}

void vhfi_for_each(void (*visit)(const char *path, enum vnode_kind kind, void *ctx), void *ctx)
{
    const unsigned units = vhfi_units();
    char path[128];
    unsigned u;
    size_t i;

    if (units == 0)
        return;
    for (u = 0; u < units; ++u) {
        snprintf(path, sizeof path, DEV_PREFIX "%u", u);
        visit(path, VNODE_CHAR_DEVICE, ctx);
    }
    visit(SYS_CLASS, VNODE_DIRECTORY, ctx);
    for (u = 0; u < units; ++u) {
        snprintf(path, sizeof path, SYS_CLASS "/hfi1_%u", u);
        visit(path, VNODE_DIRECTORY, ctx);
        for (i = 0; i < ARRAY_LEN(unit_attributes); ++i) {
            snprintf(path, sizeof path, SYS_CLASS "/hfi1_%u/%s", u, unit_attributes[i].name);
            visit(path, VNODE_FILE, ctx);
        }
        snprintf(path, sizeof path, SYS_CLASS "/hfi1_%u/device", u);
        visit(path, VNODE_SYMLINK, ctx);
        snprintf(path, sizeof path, SYS_CLASS "/hfi1_%u/ports", u);
        visit(path, VNODE_DIRECTORY, ctx);
        snprintf(path, sizeof path, SYS_CLASS "/hfi1_%u/ports/1", u);
        visit(path, VNODE_DIRECTORY, ctx);
        for (i = 0; i < ARRAY_LEN(port_attributes); ++i) {
            snprintf(path, sizeof path, SYS_CLASS "/hfi1_%u/ports/1/%s", u, port_attributes[i].name);
            visit(path, VNODE_FILE, ctx);
        }
    }
}

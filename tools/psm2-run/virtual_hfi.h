/* The files a client probes to decide that an Omni-Path HFI is present, as
 * they look for the simulated units: /dev/hfi1_<u> character devices and a
 * small /sys/class/infiniband/hfi1_<u> tree whose port is ACTIVE. Only the
 * LD_PRELOAD interposer uses this; libpsm2.so.2 never sees these answers.
 * Plain C: the interposer is loaded into every process of a job (mpirun,
 * orted, the ranks) and should drag in nothing but libc. */
#ifndef PSM2RUN_VIRTUAL_HFI_H
#define PSM2RUN_VIRTUAL_HFI_H

#include <stdbool.h>
#include <stddef.h>

enum vnode_kind { VNODE_NONE, VNODE_DIRECTORY, VNODE_CHAR_DEVICE, VNODE_FILE, VNODE_SYMLINK };

struct vnode {
    enum vnode_kind kind;
    unsigned unit;
    char content[96]; /* files: what a read returns; symlinks: the target */
    size_t length;
};

/* Number of simulated units (PSM2RUN_UNITS; 0 = interposer inactive). */
unsigned vhfi_units(void);

/* True if path lies under a prefix this interposer answers for. */
bool vhfi_in_namespace(const char *path);

/* Looks a path up; kind VNODE_NONE if it is not one of ours. */
struct vnode vhfi_lookup(const char *path);

/* Calls visit(path, kind, ctx) for every virtual path. The path buffer is
 * valid only during the call. */
void vhfi_for_each(void (*visit)(const char *path, enum vnode_kind kind, void *ctx), void *ctx);

#endif

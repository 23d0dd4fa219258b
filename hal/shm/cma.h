// Cross Memory Attach: copy straight between two processes' address spaces
// (process_vm_readv / process_vm_writev), one copy, no bounce buffer.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>

namespace psm::hal::shm {

// 0 on success, else the errno of the failing call (EPERM: refused by ptrace
// policy; ENOSYS: no CMA in this kernel; ESRCH: the process is gone; EFAULT:
// bad remote address).
int cma_read(pid_t pid, uint64_t remote, void* local, size_t len);
int cma_write(pid_t pid, void* local_src, uint64_t remote, size_t len);

// Can this process use CMA at all (kernel support, no seccomp filter)? A
// peer may still refuse (yama ptrace_scope); callers fall back per peer.
bool cma_usable();

}  // namespace psm::hal::shm

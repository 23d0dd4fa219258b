// How the worker processes of one multi-process test find each other: the
// fork launcher gives each one its rank and a directory where every rank
// drops its epid; under mpiexec, MPI_Allgather does the same. Nothing else
// in the worker depends on which one is used.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "psm2.h"

namespace mp {

struct Bootstrap {
    int rank = 0;
    int size = 0;
    // Publish my epid, return everyone's (indexed by rank).
    virtual std::vector<psm2_epid_t> exchange(psm2_epid_t mine) = 0;
    virtual void finish(int failures) { (void)failures; }
    virtual ~Bootstrap() = default;
};

// Fork launcher: --rank R --size N --dir D.
struct FileBootstrap final : Bootstrap {
    std::string dir;
    std::vector<psm2_epid_t> exchange(psm2_epid_t mine) override;
};

}  // namespace mp

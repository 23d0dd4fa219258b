#include <sched.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "mp_bootstrap.h"

namespace mp {

std::vector<psm2_epid_t> FileBootstrap::exchange(psm2_epid_t mine) {
    // Write under a temporary name and rename: readers never see half a file.
    std::string tmp = dir + "/." + std::to_string(rank) + ".tmp";
    std::string fin = dir + "/" + std::to_string(rank) + ".epid";
    {
        std::ofstream out(tmp);
        out << std::hex << mine << "\n";
    }
    if (std::rename(tmp.c_str(), fin.c_str()) != 0) throw std::runtime_error("rename " + fin);
    std::vector<psm2_epid_t> all(size, 0);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    for (int r = 0; r < size; ++r) {
        std::string path = dir + "/" + std::to_string(r) + ".epid";
        for (;;) {
            std::ifstream in(path);
            if (in && (in >> std::hex >> all[r])) break;
            if (std::chrono::steady_clock::now() > deadline)
                throw std::runtime_error("no epid from rank " + std::to_string(r));
            usleep(1000);
        }
    }
    return all;
}

}  // namespace mp

// Test helper: a private simulated fabric per test (unique name), removed
// with all its /dev/shm segments when the test ends, pass or fail.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <string>

#include "hal/sim/fabric.h"

struct ScopedSimFabric {
    std::string name;
    explicit ScopedSimFabric(const char* gen = "gen1", const char* units = "1") {
        static int serial = 0;
        name = "utest" + std::to_string(getpid()) + "_" + std::to_string(serial++);
        setenv("PSM2_SIM", name.c_str(), 1);
        setenv("PSM2_SIM_GEN", gen, 1);
        setenv("PSM2_SIM_UNITS", units, 1);
    }
    ~ScopedSimFabric() {
        psm::hal::sim::Fabric::remove(name);
        for (const char* v : {"PSM2_SIM", "PSM2_SIM_GEN", "PSM2_SIM_UNITS", "PSM2_SIM_LOSS",
                              "PSM2_SIM_REORDER", "PSM2_SIM_DUP", "PSM2_SIM_CORRUPT",
                              "PSM2_SIM_DELAY", "PSM2_SIM_SEED", "PSM2_SIM_LID"})
            unsetenv(v);
    }
};

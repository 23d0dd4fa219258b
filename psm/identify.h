// PSM2_IDENTIFY banner and PSM2_VERBOSE_ENV dump.
#pragma once

#include <string>

namespace psm {

// "psm2-cpp 11.2.230 (API 2.2) /path/libpsm2.so.2 devices=self,shm,hfi"
std::string identify_line();
// Path of the loaded library (dladdr), for the banner and psm2-info.
std::string library_path();
void print_identify_once();
void print_verbose_env_once();

}  // namespace psm

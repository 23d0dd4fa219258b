#include "psm/identify.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdio>
#include <mutex>

#include "hal/env.h"
#include "psm2.h"

#ifndef PSM2_CPP_VERSION
#define PSM2_CPP_VERSION "11.2.230"
#endif

namespace psm {

std::string library_path() {
    Dl_info info{};
    if (dladdr(reinterpret_cast<void*>(&psm2_init), &info) && info.dli_fname) return info.dli_fname;
    return "(unknown)";
}

std::string identify_line() {
    char host[64] = "?";
    gethostname(host, sizeof host - 1);
    char buf[1024];
    std::snprintf(buf, sizeof buf, "%s.%d psm2-cpp %s (PSM2 API %d.%d) %s devices=%s%s%s", host,
                  static_cast<int>(getpid()), PSM2_CPP_VERSION, PSM2_VERNO_MAJOR, PSM2_VERNO_MINOR,
                  library_path().c_str(), psm::env::get_str("PSM2_DEVICES").c_str(),
                  psm::env::get_str("PSM2_SIM").empty() ? "" : " sim=",
                  psm::env::get_str("PSM2_SIM").empty() ? "" : psm::env::get_str("PSM2_SIM_GEN").c_str());
    return buf;
}

void print_identify_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (psm::env::get_bool("PSM2_IDENTIFY")) std::fprintf(stderr, "%s\n", identify_line().c_str());
    });
}

void print_verbose_env_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (!psm::env::get_bool("PSM2_VERBOSE_ENV")) return;
        for (const psm::env::Var& v : psm::env::table()) {
            std::fprintf(stderr, "psm2 env: %-28s = %-20s (%s%s)\n", v.name,
                         psm::env::get_str(v.name).c_str(), psm::env::source_of(v.name),
                         v.support == psm::env::Support::Ignored ? ", ignored" : "");
        }
    });
}

}  // namespace psm

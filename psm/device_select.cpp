#include "psm/device_select.h"

#include <algorithm>
#include <cctype>

namespace psm {

DeviceChoice parse_devices(const std::string& spec) {
    DeviceChoice out;
    std::string tok;
    auto flush = [&] {
        if (tok.empty()) return;
        std::string t = tok;
        tok.clear();
        for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        DeviceKind k;
        if (t == "self") k = DeviceKind::Self;
        else if (t == "shm" || t == "amsh") k = DeviceKind::Shm;
        else if (t == "hfi" || t == "ips") k = DeviceKind::Hfi;
        else {
            out.unknown.push_back(t);
            return;
        }
        if (std::find(out.kinds.begin(), out.kinds.end(), k) == out.kinds.end()) out.kinds.push_back(k);
    };
    for (char c : spec) {
        if (c == ',' || c == ' ' || c == ':' || c == '\t') flush();
        else tok.push_back(c);
    }
    flush();
    return out;
}

const char* device_kind_name(DeviceKind k) {
    switch (k) {
    case DeviceKind::Self: return "self";
    case DeviceKind::Shm: return "shm";
    case DeviceKind::Hfi: return "hfi";
    }
    return "?";
}

}  // namespace psm

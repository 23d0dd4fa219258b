// Diagnostics for every layer. PSM2_TRACEMASK selects trace output (bit 0x1
// = errors, the default; 0x2 = device selection and connect; 0x4 = protocol;
// 0x8 = per-message). Output goes to stderr, prefixed with host:pid.
#pragma once

#include <cstdint>

namespace psm::log {

enum Mask : uint32_t {
    kErrors = 0x1,
    kDevices = 0x2,
    kProtocol = 0x4,
    kMessages = 0x8,
};

bool enabled(uint32_t mask);
void trace(uint32_t mask, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void warn(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace psm::log

// Every PSM2_* / HFI_* environment knob is declared once in env_table.cpp
// (name, default, help, whether we honour it). Code reads values through
// these helpers, never through getenv directly, so psm2-info can print the
// effective value and its source for every variable.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace psm::env {

enum class Support : uint8_t {
    Honoured,   // read and acted upon
    Ignored,    // accepted for compatibility, has no effect here (README lists it)
};

struct Var {
    const char* name;
    const char* default_value;   // as text, the way a user would write it
    const char* help;
    Support support;
};

// The whole table, for psm2-info and the README.
std::span<const Var> table();

// Raw value: the environment's if set, else nullopt.
std::optional<std::string> raw(std::string_view name);

// Typed getters; the default comes from the table when the variable is unset
// or unparsable (an unparsable value is warned about once).
int64_t get_int(std::string_view name);
std::string get_str(std::string_view name);
bool get_bool(std::string_view name);

// "environment" or "default", for psm2-info.
const char* source_of(std::string_view name);

// Warn once per process about PSM2_* variables that are not in the table.
void warn_unknown_once();

}  // namespace psm::env

#include "hal/env.h"

#include <cstdlib>
#include <cstring>
#include <mutex>

#include "hal/log.h"

extern char** environ;

namespace psm::env {
namespace {

const Var* find(std::string_view name) {
    for (const Var& v : table())
        if (name == v.name) return &v;
    return nullptr;
}

std::string env_copy(std::string_view name) {
    std::string key(name);
    const char* v = std::getenv(key.c_str());
    return v ? std::string(v) : std::string();
}

bool parse_int(const std::string& s, int64_t* out) {
    if (s.empty()) return false;
    char* end = nullptr;
    errno = 0;
    long long v = std::strtoll(s.c_str(), &end, 0);
    if (errno != 0 || end == s.c_str()) return false;
    while (*end == ' ') ++end;
    if (*end != '\0') return false;
    *out = v;
    return true;
}

}  // namespace

std::optional<std::string> raw(std::string_view name) {
    std::string key(name);
    const char* v = std::getenv(key.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
}

std::string get_str(std::string_view name) {
    if (auto v = raw(name)) return *v;
    const Var* var = find(name);
    return var ? std::string(var->default_value) : std::string();
}

int64_t get_int(std::string_view name) {
    const Var* var = find(name);
    int64_t def = 0;
    if (var) parse_int(var->default_value, &def);
    auto v = raw(name);
    if (!v) return def;
    int64_t out = 0;
    if (parse_int(*v, &out)) return out;
    std::string lower = *v;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "yes" || lower == "true" || lower == "on") return 1;
    if (lower == "no" || lower == "false" || lower == "off") return 0;
    psm::log::warn("%.*s=\"%s\" is not a number; using the default %lld",
                   static_cast<int>(name.size()), name.data(), v->c_str(),
                   static_cast<long long>(def));
    return def;
}

bool get_bool(std::string_view name) { return get_int(name) != 0; }

const char* source_of(std::string_view name) { return raw(name) ? "environment" : "default"; }

void warn_unknown_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        for (char** e = environ; e && *e; ++e) {
            const char* kv = *e;
            if (std::strncmp(kv, "PSM2_", 5) != 0) continue;
            const char* eq = std::strchr(kv, '=');
            std::string_view name(kv, eq ? static_cast<size_t>(eq - kv) : std::strlen(kv));
            if (!find(name))
                psm::log::warn("unknown variable %.*s is set; it has no effect",
                               static_cast<int>(name.size()), name.data());
        }
    });
}

}  // namespace psm::env

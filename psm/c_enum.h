// The enum parameters of the C API (psm2_error_t, psm2_info_query_t,
// psm2_component_t, enum psm2_mq_fp_op, ...) may carry any int from a C
// caller: valid C, but in C++ a value outside the enumerators' range is
// undefined once it is loaded as the enum type (clang's -fsanitize=enum
// reports it). Entry points read such arguments through this and switch on
// the integer.
#pragma once

#include <cstring>
#include <type_traits>

namespace psm {

template <class E>
inline int c_enum_value(const E& e) {
    static_assert(std::is_enum_v<E> && sizeof(E) == sizeof(int));
    int v;
    std::memcpy(&v, &e, sizeof v);
    return v;
}

}  // namespace psm

// Force-included first in every translation unit of the core (see the top
// meson.build): the public API is declared here with default visibility, so
// its definitions are exported although the core builds with
// -fvisibility=hidden. The version script then puts them under PSM2_1.0.
#pragma once
#pragma GCC visibility push(default)
#include "psm2.h"
#include "psm2_mq.h"
#include "psm2_am.h"
#pragma GCC visibility pop

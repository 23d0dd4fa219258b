// Marks the C entry points that form the library's ABI; everything else is
// built with -fvisibility=hidden. The version script (compat/libpsm2.map)
// decides the final set and the PSM2_1.0 node.
#pragma once
#define PSM2_EXPORT __attribute__((visibility("default")))

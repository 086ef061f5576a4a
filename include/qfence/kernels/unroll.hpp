// qfence/kernels/unroll.hpp: QFENCE_UNROLL, before a loop with a small
// constant trip count (a register tile's pixels or vectors) that must be
// unrolled fully so that its array of vectors lives in registers; GCC at -O2
// does not unroll by itself.
#pragma once

#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

#if defined(__clang__)
#define QFENCE_UNROLL _Pragma("unroll")
#elif defined(__GNUC__)
#define QFENCE_UNROLL _Pragma("GCC unroll 16")
#else
#define QFENCE_UNROLL
#endif

QFENCE_EXACT_FLOAT_END

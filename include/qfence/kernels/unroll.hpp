// qfence/kernels/unroll.hpp: the two hints the kernels' hot loops need from
// the compiler, whatever the optimisation level (the compile-time path builds
// at -O2):
//   - QFENCE_UNROLL, before a loop with a small constant trip count (a
//     register tile's pixels or vectors) that must be unrolled fully so that
//     its array of vectors lives in registers; GCC at -O2 does not unroll by
//     itself;
//   - QFENCE_INLINE_LAMBDA, after a kernel lambda's parameters: the target
//     attribute and always_inline. A lambda the compiler keeps out of line is
//     one shared function for every layer: it loses the layer's constants,
//     and a register tile passed to it goes through memory.
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

#define QFENCE_INLINE_LAMBDA HWY_ATTR __attribute__((always_inline))

QFENCE_EXACT_FLOAT_END

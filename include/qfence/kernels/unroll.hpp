// qfence/kernels/unroll.hpp: the three hints the kernels' hot loops need
// from the compiler, whatever the optimisation level (the compile-time path
// builds at -O2):
//   - QFENCE_UNROLL, before a loop with a small constant trip count (a
//     register tile's pixels or vectors) that must be unrolled fully so that
//     its array of vectors lives in registers; GCC at -O2 does not unroll by
//     itself;
//   - QFENCE_INLINE_LAMBDA, after a kernel lambda's parameters: the target
//     attribute and always_inline. A lambda the compiler keeps out of line is
//     one shared function for every layer: it loses the layer's constants,
//     and a register tile passed to it goes through memory;
//   - kept_loop_bound(n), the bound of an outer loop around a register
//     tile's inner loop, when that bound may be the constant 1 (a 1x1
//     convolution's one segment on the compile-time path). GCC 12 then
//     deletes the outer loop, and its register allocator stops giving each
//     accumulator one register through the inner loop: it copied and
//     spilled 10 of the 24 accumulators of a 6x4 tile every iteration, and
//     MobileNetV2's wide 1x1 layers ran 1.4-1.9x slower on the compile-time
//     path than the same kernel with runtime geometry. The bound costs one
//     general register; the inner loop keeps every constant of the layer.
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

namespace qfence::kernels {

/// `n`, as a value the optimiser cannot see (see the file comment).
[[gnu::always_inline]] inline int kept_loop_bound(int n) noexcept {
#if defined(__GNUC__)
  asm("" : "+r"(n));
#endif
  return n;
}

}  // namespace qfence::kernels

QFENCE_EXACT_FLOAT_END

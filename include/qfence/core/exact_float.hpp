// qfence/core/exact_float.hpp: float arithmetic that stays bit-exact whatever
// the application compiles with.
//
// Bit-exactness with TFLite's reference kernels includes float steps: float
// models, and the float parts of quantized kernels (resize coordinates,
// uint8 concatenation rescaling, lookup tables, fence borders). A compiler
// that fuses a * b + c into one FMA rounds once instead of twice and changes
// those bits; GCC does so by default whenever the target has FMA
// (-march=native, or a Highway AVX2/AVX-512 target), Clang within one
// expression. qfence used to require -ffp-contract=off on every translation
// unit that includes it. Instead, every qfence header wraps its own code in
//   QFENCE_EXACT_FLOAT_BEGIN ... QFENCE_EXACT_FLOAT_END
// which turns contraction off for the functions defined in between and for
// nothing else (docs/numerics.md, "Float steps"):
//   - GCC: push_options + optimize("fp-contract=off"); GCC still inlines
//     other code (std::, Highway) into these functions;
//   - Clang: float_control(precise, on, push) + fp contract(off), which also
//     keeps -ffast-math's reassociation out of qfence's functions.
// GCC has no per-function switch for -ffast-math's other effects, so a GCC
// build with -ffast-math is refused (define QFENCE_ALLOW_FAST_MATH to accept
// results that are no longer bit-exact). The golden and both-paths tests
// compile the embedded models with -O2 -march=native and without any
// floating-point flag, so a kernel outside these regions fails them.
//
// Each header opens the region after its #includes, so no standard or
// third-party header is ever compiled inside it.
#pragma once

#if defined(__clang__)
#define QFENCE_EXACT_FLOAT_BEGIN _Pragma("float_control(precise, on, push)") _Pragma("clang fp contract(off)")
#define QFENCE_EXACT_FLOAT_END _Pragma("float_control(pop)")
#elif defined(__GNUC__)
#define QFENCE_EXACT_FLOAT_BEGIN _Pragma("GCC push_options") _Pragma("GCC optimize(\"fp-contract=off\")")
#define QFENCE_EXACT_FLOAT_END _Pragma("GCC pop_options")
#if defined(__FAST_MATH__) && !defined(QFENCE_ALLOW_FAST_MATH)
#error "qfence: -ffast-math lets GCC reorder float arithmetic, so results are no longer bit-exact with TFLite. Build without it, or define QFENCE_ALLOW_FAST_MATH to accept that."
#endif
#else  // other compilers: build with their equivalent of -ffp-contract=off
#define QFENCE_EXACT_FLOAT_BEGIN
#define QFENCE_EXACT_FLOAT_END
#endif

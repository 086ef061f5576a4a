// qfence/kernels/highway.hpp: the Highway configuration qfence's kernels are
// compiled with. Include qfence before any Highway header of your own in a
// translation unit, or define the same macros yourself: Highway reads them
// once, at its first inclusion.
//
//   - HWY_WANT_AVX3_DL: Highway 1.0.3 compiles AVX3_DL (AVX-512 with VNNI,
//     whose vpdpbusd is the int8 dot product the convolutions use) only on
//     request;
//   - HWY_DISABLED_TARGETS: SSSE3 is left out (SSE4 covers every x86-64 CPU
//     that has SSSE3 but not AVX2 closely enough, and each target costs
//     compile time per layer). Define it yourself to choose otherwise.
//   - a single-target build (-march=... -DHWY_COMPILE_ONLY_STATIC, for a
//     known CPU: README, Benchmarks) on a CPU with AVX-512 VNNI but not
//     AVX-VNNI (Zen 4, Ice Lake) compiles AVX3 and AVX3_DL instead and
//     dispatches to AVX3_DL (QFENCE_STATIC_BUILD_ADDS_AVX3_DL): Highway 1.0.3
//     takes AVX3_DL as the static target only with __AVXVNNI__, so
//     -march=native made AVX3 the one target there, without vpdpbusd
//     (person_detect ran 168 us against 88). -mavxvnni is no way out: the
//     compiler may then emit AVX-VNNI's VEX form, which those CPUs fault on.
#pragma once

#if defined(HWY_COMPILE_ONLY_STATIC) && !defined(HWY_TARGETS) && !defined(__AVXVNNI__) &&                \
    defined(__AVX512VNNI__) && defined(__AVX512VL__) && defined(__AVX512BW__) && defined(__AVX512DQ__) && \
    defined(__VAES__) && defined(__VPCLMULQDQ__) && defined(__AVX512VBMI__) && defined(__AVX512VBMI2__) &&   \
    defined(__AVX512VPOPCNTDQ__) && defined(__AVX512BITALG__)
#undef HWY_COMPILE_ONLY_STATIC
#define HWY_TARGETS (HWY_AVX3 | HWY_AVX3_DL)
#define QFENCE_STATIC_BUILD_ADDS_AVX3_DL 1
#else
#define QFENCE_STATIC_BUILD_ADDS_AVX3_DL 0
#endif

#ifndef HWY_WANT_AVX3_DL
#define HWY_WANT_AVX3_DL 1
#endif
#ifndef HWY_DISABLED_TARGETS
#define HWY_DISABLED_TARGETS HWY_SSSE3
#endif

#include <hwy/base.h>
#include <hwy/cache_control.h>  // hwy::Prefetch (kernels/conv2d-inl.hpp)
#include <hwy/targets.h>

#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN
QFENCE_EXACT_FLOAT_END

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
// For one target only (a known CPU, the fastest build): compile with
// -march=... and -DHWY_COMPILE_ONLY_STATIC (README, "Single-target builds").
#pragma once

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

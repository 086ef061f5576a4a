// One translation unit for the unit tests of the typed graph's ops and the
// core types (reference kernels, layouts, fixed point, arena, geometry,
// quantization parameters).
//
// Why: each area's program compiled Boost.Hana, Highway and the typed graph
// on its own (GCC 12 -O0: ~20 s each, 25-45 s under ASan+UBSan); as one
// program they parse them once. Each area stays its own meson test
// (tests/meson.build selects it with doctest's --source-file filter).
//
// Each area's file compiles alone and keeps its helpers in a namespace named
// after it. Not here: graph_test.cpp, which replaces operator new to count
// the heap at inference, and the SIMD sweeps, built optimized.
#include "conv_test.cpp"
#include "dense_test.cpp"
#include "activation_test.cpp"
#include "layout_test.cpp"
#include "fixed_point_test.cpp"
#include "arena_test.cpp"
#include "geometry_test.cpp"
#include "quant_test.cpp"

// qfence/kernels/dispatch.hpp: the Highway kernels compiled for every target
// in HWY_TARGETS, and one table per kernel template to reach them.
//
// Highway 1.0.3's HWY_EXPORT covers plain functions only; qfence's kernels
// are templates instantiated per layer (geometry as kernels::fixed<...>) or
// per variant (runtime geometry). So each kernel has a table template here:
// kernel_table<Geometry>::slots[target.slot()] is the kernel compiled for that
// target and that geometry type, nullptr for a target not compiled in. A model
// looks its target up once (kernels/target.hpp) and indexes the tables with
// it.
//
// The dispatch functions at the end are the one place that decides, per
// call, between a table and the reference kernel: target::reference() (the
// runtime's --reference-kernels), and operands a kernel does not cover
// (float ARG_MAX, most transposes), go to kernels/reference/. The packed
// convolutions are the exception: a packed layer exists only for a SIMD
// target (the runtime prepares no packed form for the reference target).
//
// All translation units of a program must see the same HWY_TARGETS (the same
// compiler flags and kernels/highway.hpp settings), as with any Highway code.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "qfence/core/dtype.hpp"
#include "qfence/core/window_geometry.hpp"
#include "qfence/kernels/arguments.hpp"
#include "qfence/kernels/highway.hpp"
#include "qfence/kernels/hybrid_conv.hpp"
#include "qfence/kernels/packed_conv.hpp"
#include "qfence/kernels/packed_conv_float.hpp"
#include "qfence/kernels/parameter.hpp"
#include "qfence/kernels/requantize_form.hpp"
#include "qfence/kernels/reference/arg_max.hpp"
#include "qfence/kernels/reference/arithmetic.hpp"
#include "qfence/kernels/reference/conv2d.hpp"
#include "qfence/kernels/reference/depthwise_conv2d.hpp"
#include "qfence/kernels/reference/elementwise.hpp"
#include "qfence/kernels/reference/lookup_table.hpp"
#include "qfence/kernels/reference/reduce.hpp"
#include "qfence/kernels/reference/pooling.hpp"
#include "qfence/kernels/reference/quantize.hpp"
#include "qfence/kernels/reference/resize.hpp"
#include "qfence/kernels/reference/softmax.hpp"
#include "qfence/kernels/reference/svdf.hpp"
#include "qfence/kernels/reference/transpose.hpp"
#include "qfence/kernels/reference/transpose_conv.hpp"
#include "qfence/kernels/reference/unary_math.hpp"
#include "qfence/kernels/softmax_table.hpp"
#include "qfence/kernels/target.hpp"
#include "qfence/kernels/transpose_planes.hpp"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "qfence/kernels/all-inl.hpp"
#include <hwy/foreach_target.h>  // must come before highway.h

#include <hwy/highway.h>

// And once more for the static target:
#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/all-inl.hpp"

QFENCE_EXACT_FLOAT_BEGIN

// One entry per slot of kernels::target_bits: &N_TARGET::kernel or nullptr.
#if HWY_TARGETS & HWY_AVX3_DL
#define QFENCE_SLOT_AVX3_DL(...) &N_AVX3_DL::__VA_ARGS__
#else
#define QFENCE_SLOT_AVX3_DL(...) nullptr
#endif
#if HWY_TARGETS & HWY_AVX3
#define QFENCE_SLOT_AVX3(...) &N_AVX3::__VA_ARGS__
#else
#define QFENCE_SLOT_AVX3(...) nullptr
#endif
#if HWY_TARGETS & HWY_AVX2
#define QFENCE_SLOT_AVX2(...) &N_AVX2::__VA_ARGS__
#else
#define QFENCE_SLOT_AVX2(...) nullptr
#endif
#if HWY_TARGETS & HWY_SSE4
#define QFENCE_SLOT_SSE4(...) &N_SSE4::__VA_ARGS__
#else
#define QFENCE_SLOT_SSE4(...) nullptr
#endif
#if HWY_TARGETS & HWY_SSSE3
#define QFENCE_SLOT_SSSE3(...) &N_SSSE3::__VA_ARGS__
#else
#define QFENCE_SLOT_SSSE3(...) nullptr
#endif
#if HWY_TARGETS & HWY_SVE2_128
#define QFENCE_SLOT_SVE2_128(...) &N_SVE2_128::__VA_ARGS__
#else
#define QFENCE_SLOT_SVE2_128(...) nullptr
#endif
#if HWY_TARGETS & HWY_SVE_256
#define QFENCE_SLOT_SVE_256(...) &N_SVE_256::__VA_ARGS__
#else
#define QFENCE_SLOT_SVE_256(...) nullptr
#endif
#if HWY_TARGETS & HWY_SVE2
#define QFENCE_SLOT_SVE2(...) &N_SVE2::__VA_ARGS__
#else
#define QFENCE_SLOT_SVE2(...) nullptr
#endif
#if HWY_TARGETS & HWY_SVE
#define QFENCE_SLOT_SVE(...) &N_SVE::__VA_ARGS__
#else
#define QFENCE_SLOT_SVE(...) nullptr
#endif
#if HWY_TARGETS & HWY_NEON
#define QFENCE_SLOT_NEON(...) &N_NEON::__VA_ARGS__
#else
#define QFENCE_SLOT_NEON(...) nullptr
#endif
#if HWY_TARGETS & HWY_EMU128
#define QFENCE_SLOT_EMU128(...) &N_EMU128::__VA_ARGS__
#else
#define QFENCE_SLOT_EMU128(...) nullptr
#endif
#if HWY_TARGETS & HWY_SCALAR
#define QFENCE_SLOT_SCALAR(...) &N_SCALAR::__VA_ARGS__
#else
#define QFENCE_SLOT_SCALAR(...) nullptr
#endif

/// The table of a kernel template instantiation, in kernels::target_bits
/// order.
#define QFENCE_TARGET_TABLE(...)                                                                                   \
  {                                                                                                                \
    QFENCE_SLOT_AVX3_DL(__VA_ARGS__), QFENCE_SLOT_AVX3(__VA_ARGS__), QFENCE_SLOT_AVX2(__VA_ARGS__),                \
        QFENCE_SLOT_SSE4(__VA_ARGS__), QFENCE_SLOT_SSSE3(__VA_ARGS__), QFENCE_SLOT_SVE2_128(__VA_ARGS__),          \
        QFENCE_SLOT_SVE_256(__VA_ARGS__), QFENCE_SLOT_SVE2(__VA_ARGS__), QFENCE_SLOT_SVE(__VA_ARGS__),             \
        QFENCE_SLOT_NEON(__VA_ARGS__), QFENCE_SLOT_EMU128(__VA_ARGS__), QFENCE_SLOT_SCALAR(__VA_ARGS__)            \
  }

namespace qfence::kernels {

template <class T, class Geometry, class Form>
struct conv2d_quantized_table {
  using fn = void (*)(const Geometry&, const conv2d_quantized_args<T>&);
  static constexpr fn slots[target_slots] = QFENCE_TARGET_TABLE(Conv2DQuantized<T, Geometry, Form>);
};

struct conv2d_hybrid_table {
  using fn = void (*)(const window_geometry&, const conv2d_hybrid_args&);
  static constexpr fn slots[target_slots] = QFENCE_TARGET_TABLE(Conv2DHybrid);
};

struct quantize_hybrid_input_table {
  using fn = bool (*)(std::int64_t, const float*, bool, std::int8_t*, reference::hybrid_input_params*);
  static constexpr fn slots[target_slots] = QFENCE_TARGET_TABLE(QuantizeHybridInput);
};

struct depthwise_hybrid_table {
  using fn = void (*)(const window_geometry&, const depthwise_hybrid_args&);
  static constexpr fn slots[target_slots] = QFENCE_TARGET_TABLE(DepthwiseConv2DHybrid);
};

template <class Geometry>
struct conv2d_int16x8_table {
  using fn = void (*)(const Geometry&, const conv2d_int16x8_packed_args&);
  static constexpr fn slots[target_slots] = QFENCE_TARGET_TABLE(Conv2DInt16x8<Geometry>);
};

template <class Bias, class Geometry>
struct transpose_conv_int16x8_table {
  using fn = void (*)(const Geometry&, const conv2d_int16x8_args<Bias>&, std::int64_t*);
  static constexpr fn slots[target_slots] = QFENCE_TARGET_TABLE(TransposeConvInt16x8<Bias, Geometry>);
};

template <class Bias, class Geometry>
struct depthwise_int16x8_table {
  using fn = void (*)(const Geometry&, const conv2d_int16x8_args<Bias>&);
  static constexpr fn slots[target_slots] = QFENCE_TARGET_TABLE(DepthwiseConvInt16x8<Bias, Geometry>);
};

template <class Geometry>
struct conv2d_float_table {
  using fn = void (*)(const Geometry&, const conv2d_float_args&);
  static constexpr fn slots[target_slots] = QFENCE_TARGET_TABLE(Conv2DFloat<Geometry>);
};

template <class T, class Geometry, class Form>
struct depthwise_quantized_table {
  using fn = void (*)(const Geometry&, const depthwise_quantized_args<T>&);
  static constexpr fn slots[target_slots] = QFENCE_TARGET_TABLE(DepthwiseConv2DQuantized<T, Geometry, Form>);
};

template <class Geometry>
struct depthwise_float_table {
  using fn = void (*)(const Geometry&, const depthwise_float_args&);
  static constexpr fn slots[target_slots] = QFENCE_TARGET_TABLE(DepthwiseConv2DFloat<Geometry>);
};

template <class T>
struct resize_bilinear_float_table {
  using fn = void (*)(const resize_geometry&, const T*, T*, float*);
  static constexpr fn slots[target_slots] = QFENCE_TARGET_TABLE(ResizeBilinearFloat<T>);
};

template <class T, class Out>
struct softmax_quantized_table {
  using fn = void (*)(int, int, const softmax_table&, const T*, Out*);
  static constexpr fn slots[target_slots] = QFENCE_TARGET_TABLE(SoftmaxQuantized<T, Out>);
};

struct resize_bilinear_int8_table {
  using fn = void (*)(const resize_geometry&, const std::int8_t*, std::int8_t*, std::int32_t*);
  static constexpr fn slots[target_slots] = QFENCE_TARGET_TABLE(ResizeBilinearInt8);
};

template <bool Subtract, class T>
struct add_quantized_table {
  using fn = void (*)(const broadcast_geometry&, const T*, const T*, const add_params&, int_range, T*);
  static constexpr fn slots[target_slots] = QFENCE_TARGET_TABLE(AddQuantized<Subtract, T>);
};

template <class T>
struct mul_quantized_table {
  using fn = void (*)(const broadcast_geometry&, const T*, std::int32_t, const T*, std::int32_t, quantized_multiplier,
                      std::int32_t, int_range, T*);
  static constexpr fn slots[target_slots] = QFENCE_TARGET_TABLE(MulQuantized<T>);
};

template <class Op, class T>
struct arithmetic_plain_table {
  using fn = void (*)(const broadcast_geometry&, const T*, const T*, T, T, T*);
  static constexpr fn slots[target_slots] = QFENCE_TARGET_TABLE(ArithmeticPlain<Op, T>);
};

template <class Op>
struct unary_math_table {
  using fn = void (*)(std::int64_t, const float*, float*);
  static constexpr fn slots[target_slots] = QFENCE_TARGET_TABLE(UnaryMathFloat<Op>);
};

template <class From, class To>
struct cast_table {
  using fn = void (*)(std::int64_t, const From*, To*);
  static constexpr fn slots[target_slots] = QFENCE_TARGET_TABLE(CastNumbers<From, To>);
};

template <class State>
struct svdf_quantized_table {
  using fn = void (*)(const svdf_geometry&, const svdf_params&, const svdf_args<State>&);
  static constexpr fn slots[target_slots] = QFENCE_TARGET_TABLE(SvdfQuantized<State>);
};

template <bool Max, class T, class Index>
struct arg_extreme_table {
  using fn = void (*)(std::int64_t, int, const T*, Index*);
  static constexpr fn slots[target_slots] = QFENCE_TARGET_TABLE(ArgExtremeLastAxis<Max, T, Index>);
};

template <class T>
struct sum_quantized_table {
  using fn = void (*)(const reduce_geometry&, const T*, std::int32_t, quantized_multiplier, std::int32_t,
                      std::int32_t*, T*);
  static constexpr fn slots[target_slots] = QFENCE_TARGET_TABLE(SumQuantized<T>);
};

template <bool Max, class T>
struct reduce_extreme_table {
  using fn = void (*)(const reduce_geometry&, const T*, T*);
  static constexpr fn slots[target_slots] = QFENCE_TARGET_TABLE(ReduceExtreme<Max, T>);
};

template <class T, class Range>
struct max_pool_table {
  using fn = void (*)(const window_geometry&, const T*, Range, T*);
  static constexpr fn slots[target_slots] = QFENCE_TARGET_TABLE(MaxPool<T, Range>);
};

template <class T>
struct average_pool_quantized_table {
  using fn = void (*)(const window_geometry&, const T*, int_range, T*);
  static constexpr fn slots[target_slots] = QFENCE_TARGET_TABLE(AveragePoolQuantized<T>);
};

struct average_pool_float_table {
  using fn = void (*)(const window_geometry&, const float*, float_range, float*);
  static constexpr fn slots[target_slots] = QFENCE_TARGET_TABLE(AveragePoolFloat);
};

template <class In, class Out>
struct lookup_bytes_table {
  using fn = void (*)(std::int64_t, const In*, const Out*, Out*);
  static constexpr fn slots[target_slots] = QFENCE_TARGET_TABLE(LookupBytes<In, Out>);
};

struct lookup_interpolated_table {
  using fn = void (*)(std::int64_t, const std::int16_t*, const std::int32_t*, std::int16_t*);
  static constexpr fn slots[target_slots] = QFENCE_TARGET_TABLE(LookupInterpolated);
};

template <class T>
struct quantize_table {
  using quantize_fn = void (*)(std::int64_t, const float*, float, std::int32_t, T*);
  using dequantize_fn = void (*)(std::int64_t, const T*, float, std::int32_t, float*);
  static constexpr quantize_fn quantize[target_slots] = QFENCE_TARGET_TABLE(QuantizeFloat<T>);
  static constexpr dequantize_fn dequantize[target_slots] = QFENCE_TARGET_TABLE(DequantizeToFloat<T>);
};

struct transpose_planes_table {
  using fn = void (*)(const interleave_form&, const unsigned char*, unsigned char*);
  static constexpr fn slots[target_slots] = QFENCE_TARGET_TABLE(TransposePlanes);
};

/// int8 or legacy uint8 CONV_2D (groups of 1) on SIMD target `t`; Form:
/// the layer's epilogue steps (kernels/requantize_form.hpp).
template <class T, class Geometry, class Form = general_form>
inline void conv2d_quantized(target t, const Geometry& g, const conv2d_quantized_args<T>& a, Form = {}) noexcept {
  conv2d_quantized_table<T, Geometry, Form>::slots[t.slot()](g, a);
}

namespace detail {

/// A hybrid layer's invoke (kernels/hybrid_conv.hpp): per batch (per row
/// for FULLY_CONNECTED) the input quantized, the sums' start and scales and
/// the pad row set, then run_batch(one batch's geometry, its quantized
/// input, its ending, its output); the kernel reads the sums' start and the
/// pad row from `s`, which the caller passes it. `operand_offset` is what the kernel adds
/// to each input byte (128 for the convolution kernel's unsigned operand, 0
/// for the depthwise kernel).
template <class RunBatch>
inline void hybrid_batches(target t, const window_geometry& g, const hybrid_layer_constants& l,
                           std::int32_t operand_offset,
                           const float* input, hybrid_scratch_arrays s, float* output, RunBatch run_batch) noexcept {
  const bool fc = l.form == hybrid_form::fully_connected;
  const int batches = fc ? g.in_w : g.batches;
  window_geometry one = fc ? fully_connected_geometry(1, g.in_c, g.out_c) : g;
  one.batches = 1;
  const std::int64_t in_size = std::int64_t{one.in_h} * one.in_w * one.in_c;
  const std::int64_t out_size = std::int64_t{one.out_h} * one.out_w * one.out_c;
  if (fc) {
    // TFLite skips the products when the whole input is zero: the output is
    // the bias (or 0), activated.
    bool all_zero = true;
    for (std::int64_t i = 0; i < in_size * batches && all_zero; ++i) all_zero = input[i] == 0.0f;
    if (all_zero) {
      for (int b = 0; b < batches; ++b)
        for (int u = 0; u < g.out_c; ++u) {
          float y = l.bias != nullptr ? l.bias[u] : 0.0f;
          if (l.clamp_fully_connected) y = std::max(l.act.min, std::min(y, l.act.max));
          output[b * out_size + u] = y;
        }
      return;
    }
  }
  for (int b = 0; b < batches; ++b) {
    std::int8_t* q = s.quantized_input + b * in_size;
    // On the target's vectors; an input holding NaN, on the reference's
    // sequential minimum and maximum.
    reference::hybrid_input_params p;
    if (!quantize_hybrid_input_table::slots[t.slot()](in_size, input + b * in_size, l.asymmetric_inputs, q, &p))
      p = reference::quantize_hybrid_input(in_size, input + b * in_size, l.asymmetric_inputs, q);
    // Padding taps read the zero point (they add w * (zp + offset), which
    // the start takes away).
    std::memset(s.pad_row, static_cast<unsigned char>(static_cast<std::int8_t>(p.zero_point)),
                static_cast<std::size_t>(l.pad_bytes));
    const auto pad_value = static_cast<std::uint32_t>(p.zero_point + operand_offset);
    for (int c = 0; c < l.channels; ++c) {
      s.start[c] = static_cast<std::int32_t>(0u - pad_value * static_cast<std::uint32_t>(l.weight_sums[c]));
      // Each kernel's association: CONV_2D per channel (acc * w) * input;
      // DEPTHWISE_CONV_2D acc * (w * input); the others acc * (input * w).
      s.scale[c] = l.form == hybrid_form::conv_per_channel ? l.weight_scales[c]
                   : l.form == hybrid_form::depthwise      ? l.weight_scales[c] * p.scale
                                                           : p.scale * l.weight_scales[c];
    }
    const hybrid_ending ending{s.scale, p.scale, l.form == hybrid_form::conv_per_channel, l.bias, l.act,
                               l.clamp_fully_connected};
    run_batch(one, q, ending, output + b * out_size);
  }
}

}  // namespace detail

/// A hybrid CONV_2D (groups of 1) or FULLY_CONNECTED (`g`:
/// fully_connected_geometry's) on SIMD target `t`, `weights` packed by
/// pack_conv_weights: the int8 convolution kernel's tiles with the float
/// ending. (Packed hybrid layers exist for SIMD targets only; the
/// reference target runs reference/hybrid.hpp.)
inline void hybrid_layer(target t, const window_geometry& g, const hybrid_layer_constants& l,
                         const std::int8_t* weights, const float* input, hybrid_scratch_arrays s,
                         float* output) noexcept {
  detail::hybrid_batches(t, g, l, 128, input, s, output,
                         [&](const window_geometry& one, const std::int8_t* q, hybrid_ending e, float* out) {
                           conv2d_hybrid_table::slots[t.slot()](one, {q, weights, s.start, s.pad_row, e, out});
                         });
}

/// A hybrid DEPTHWISE_CONV_2D on SIMD target `t`, `weights` packed by
/// pack_depthwise_weights: the int8 depthwise kernel with the float ending.
inline void hybrid_layer(target t, const window_geometry& g, const hybrid_layer_constants& l,
                         const std::int16_t* weights, const float* input, hybrid_scratch_arrays s,
                         float* output) noexcept {
  detail::hybrid_batches(t, g, l, 0, input, s, output,
                         [&](const window_geometry& one, const std::int8_t* q, hybrid_ending e, float* out) {
                           depthwise_hybrid_table::slots[t.slot()](one, {q, weights, s.start, s.pad_row, e, out});
                         });
}

/// int16x8 CONV_2D, groups of 1, on SIMD target `t` (`a.weights` packed by
/// pack_conv_weights for conv_packing::for_filter(..., 2); grouped
/// convolutions and target::reference() run reference::conv2d instead).
template <class Geometry>
inline void conv2d_int16x8(target t, const Geometry& g, const conv2d_int16x8_packed_args& a) noexcept {
  conv2d_int16x8_table<Geometry>::slots[t.slot()](g, a);
}

/// int16x8 DEPTHWISE_CONV_2D on target `t` (`a.filter`: the model's
/// [1, filter_h, filter_w, out_c] weights as stored, any depth multiplier).
/// Windows of 512 taps or more (whose int32 sums could overflow) run the
/// reference kernel, as does target::reference().
template <class Bias, class Geometry>
inline void depthwise_conv2d_int16x8(target t, const Geometry& g, const conv2d_int16x8_args<Bias>& a) noexcept {
  const window_geometry& w = value_of(g);
  if (t.is_reference() || w.filter_h * w.filter_w >= 512)
    reference::depthwise_conv2d(g, a.input, a.filter, a.bias, a.multipliers, a.output_offset, a.act, a.output);
  else depthwise_int16x8_table<Bias, Geometry>::slots[t.slot()](g, a);
}

/// int16x8 TRANSPOSE_CONV on target `t`; `scratch` (the output's element
/// count of int64) serves the reference kernel (target::reference(), and
/// SCALAR, which runs it).
template <class Bias, class Geometry>
inline void transpose_conv_int16x8(target t, const Geometry& g, const conv2d_int16x8_args<Bias>& a,
                                   std::int64_t* scratch) noexcept {
  if (t.is_reference())
    reference::transpose_conv(g, a.input, a.filter, a.bias, a.multipliers, a.output_offset, a.act, scratch, a.output);
  else transpose_conv_int16x8_table<Bias, Geometry>::slots[t.slot()](g, a, scratch);
}

/// float CONV_2D (groups of 1) or FULLY_CONNECTED on SIMD target `t`.
template <class Geometry>
inline void conv2d_float(target t, const Geometry& g, const conv2d_float_args& a) noexcept {
  conv2d_float_table<Geometry>::slots[t.slot()](g, a);
}

/// int8 or legacy uint8 DEPTHWISE_CONV_2D (any depth multiplier) on SIMD
/// target `t`.
template <class T, class Geometry, class Form = general_form>
inline void depthwise_conv2d_quantized(target t, const Geometry& g, const depthwise_quantized_args<T>& a,
                                       Form = {}) noexcept {
  depthwise_quantized_table<T, Geometry, Form>::slots[t.slot()](g, a);
}

/// float DEPTHWISE_CONV_2D (any depth multiplier) on SIMD target `t`.
template <class Geometry>
inline void depthwise_conv2d_float(target t, const Geometry& g, const depthwise_float_args& a) noexcept {
  depthwise_float_table<Geometry>::slots[t.slot()](g, a);
}

/// SOFTMAX from 8-bit input (into the input's type or int16) on target `t`,
/// with the layer's table (make_softmax_table(p)).
template <class T, class Out>
inline void softmax_quantized(target t, int outer, int depth, const softmax_params& p, const softmax_table& table,
                              const T* in, Out* out) noexcept {
  if (t.is_reference()) reference::softmax(outer, depth, p, in, out);
  else softmax_quantized_table<T, Out>::slots[t.slot()](outer, depth, table, in, out);
}

/// The 4-byte elements of scratch the SIMD RESIZE_BILINEAR kernels take
/// (kernels/resize_bilinear-inl.hpp) for input type `type`, each of one
/// output row's length: on the float path (float32, uint8) the per-lane
/// weight dx and two cached input rows expanded twice (x0 and x1); on the
/// integer path (int8) two cached input rows interpolated along x; none for
/// int16 (the reference kernel).
constexpr std::size_t resize_bilinear_scratch_elements(const resize_geometry& g, dtype type) noexcept {
  const std::size_t rows = type == dtype::f32 || type == dtype::u8 ? 5u : type == dtype::i8 ? 2u : 0u;
  return rows * static_cast<std::size_t>(g.out_w) * static_cast<std::size_t>(g.channels);
}

/// RESIZE_BILINEAR on TFLite's float path (float32, legacy uint8), on
/// target `t` (the reference kernel for target::reference()). `scratch`:
/// resize_bilinear_scratch_elements(g, dtype::f32) floats.
template <class T>
inline void resize_bilinear_float(target t, const resize_geometry& g, const T* in, T* out, float* scratch) noexcept {
  if (t.is_reference()) reference::resize_bilinear(g, in, out);
  else resize_bilinear_float_table<T>::slots[t.slot()](g, in, out, scratch);
}

/// RESIZE_BILINEAR on TFLite's integer path (int8, int16), on target `t`.
/// `scratch`: resize_bilinear_scratch_elements(g, dtype::i8) int32s. int16 runs
/// the reference kernel (its sums need int64 lanes).
template <class T>
inline void resize_bilinear_integer(target t, const resize_geometry& g, const T* in, T* out,
                                    std::int32_t* scratch) noexcept {
  if constexpr (std::is_same_v<T, std::int8_t>) {
    if (!t.is_reference()) return resize_bilinear_int8_table::slots[t.slot()](g, in, out, scratch);
  }
  reference::resize_bilinear_integer(g, in, out);
}

namespace detail {

/// The outputs from which an 8-bit ADD, SUB or MUL of a tensor and a single
/// value runs as a table lookup (single_value_as_table).
inline constexpr std::int64_t single_value_table_from = 1024;

/// An 8-bit ADD, SUB or MUL of a tensor and one value (movenet's
/// normalisation of its 192x192x3 input, a bias added to a heat map) is a
/// function of one byte: `binary(geometry, a, b, out)`, the op's own SIMD
/// kernel on target `t`, computes its 256 results against the single value,
/// and every output is looked up (LookupBytes: 3 instructions per 64 bytes
/// on AVX3_DL). The table holds the kernel's results, so the outputs are the
/// same bits. false (nothing done) for other broadcasts, other types and
/// small tensors.
template <class T, class Binary>
inline bool single_value_as_table(target t, const broadcast_geometry& g, const T* a, const T* b, T* out,
                                  Binary&& binary) noexcept {
  if constexpr (sizeof(T) != 1) {
    return false;
  } else {
    const single_value_operand single = single_value_operand_of(g);
    if (g.elements < single_value_table_from || single == single_value_operand::none) return false;
    alignas(64) T every[256];
    alignas(64) T table[256];
    for (int k = 0; k < 256; ++k) every[k] = static_cast<T>(static_cast<std::uint8_t>(k));  // entry k: bit pattern k
    static constexpr int all[1] = {256}, one[1] = {1};
    if (single == single_value_operand::a) {
      binary(make_broadcast_geometry(one, 1, all, 1), a, every, table);
      lookup_bytes_table<T, T>::slots[t.slot()](g.elements, b, table, out);
    } else {
      binary(make_broadcast_geometry(all, 1, one, 1), every, b, table);
      lookup_bytes_table<T, T>::slots[t.slot()](g.elements, a, table, out);
    }
    return true;
  }
}

/// Quantized ADD (Subtract = false) or SUB on target `t`.
template <bool Subtract, class T>
inline void add_or_sub_quantized(target t, const broadcast_geometry& g, const T* a, const T* b, const add_params& p,
                                 int_range act, T* out) noexcept {
  if (t.is_reference()) {
    if constexpr (Subtract) reference::sub(g, a, b, p, act, out);
    else reference::add(g, a, b, p, act, out);
    return;
  }
  const auto kernel = add_quantized_table<Subtract, T>::slots[t.slot()];
  const auto binary = [&](const broadcast_geometry& h, const T* x, const T* y, T* o) { kernel(h, x, y, p, act, o); };
  if (!single_value_as_table(t, g, a, b, out, binary)) binary(g, a, b, out);
}
}  // namespace detail

/// Quantized ADD (int8, uint8, int16) with broadcasting, on target `t`.
template <class T>
inline void add_quantized(target t, const broadcast_geometry& g, const T* a, const T* b, const add_params& p,
                          int_range act, T* out) noexcept {
  detail::add_or_sub_quantized<false>(t, g, a, b, p, act, out);
}

/// Quantized SUB, as add_quantized.
template <class T>
inline void sub_quantized(target t, const broadcast_geometry& g, const T* a, const T* b, const add_params& p,
                          int_range act, T* out) noexcept {
  detail::add_or_sub_quantized<true>(t, g, a, b, p, act, out);
}

/// Quantized MUL with broadcasting: int8 and uint8 on target `t`, int16 on
/// the reference kernel.
template <class T>
inline void mul_quantized(target t, const broadcast_geometry& g, const T* a, std::int32_t a_offset, const T* b,
                          std::int32_t b_offset, quantized_multiplier m, std::int32_t out_offset, int_range act,
                          T* out) noexcept {
  if constexpr (sizeof(T) == 2) {
    return reference::mul(g, a, a_offset, b, b_offset, m, out_offset, act, out);
  } else {
    if (t.is_reference()) return reference::mul(g, a, a_offset, b, b_offset, m, out_offset, act, out);
    const auto kernel = mul_quantized_table<T>::slots[t.slot()];
    const auto binary = [&](const broadcast_geometry& h, const T* x, const T* y, T* o) {
      kernel(h, x, a_offset, y, b_offset, m, out_offset, act, o);
    };
    if (!detail::single_value_as_table(t, g, a, b, out, binary)) binary(g, a, b, out);
  }
}

/// out = clamp(Op(a, b), lo, hi) on unquantized values with broadcasting
/// (Op: qfence::op::int_add, int_sub, int_mul, div, floor_div, maximum,
/// minimum; kernels/reference/arithmetic.hpp): float and int32 on target
/// `t`, other types (MAXIMUM and MINIMUM of 8-, 16- and 64-bit values) on the
/// reference kernel.
template <class Op, class T>
inline void plain_arithmetic(target t, const broadcast_geometry& g, const T* a, const T* b, T lo, T hi,
                             T* out) noexcept {
  if constexpr ((std::is_same_v<T, float> || std::is_same_v<T, std::int32_t>) && !requires { Op::scalar_only; }) {
    if (!t.is_reference()) {
      arithmetic_plain_table<Op, T>::slots[t.slot()](g, a, b, lo, hi, out);
      return;
    }
  }
  reference::arithmetic<Op>(g, a, b, lo, hi, out);
}

/// A float math op (kernels/reference/unary_math.hpp) on n floats, on
/// target `t`: in vectors where they give the reference's bits, else the
/// C library's scalar function on every target.
template <class Op>
inline void unary_math(target t, std::int64_t n, const float* in, float* out) noexcept {
  if constexpr (Op::vector) {
    if (!t.is_reference()) {
      unary_math_table<Op>::slots[t.slot()](n, in, out);
      return;
    }
  }
  reference::unary_math<Op>(n, in, out);
}

/// CAST of n values: int8, uint8, int16, int32 to float and float to int32
/// on target `t`, other pairs on the reference kernel.
template <class From, class To>
inline void cast(target t, std::int64_t n, const From* in, To* out) noexcept {
  constexpr bool to_float = std::is_same_v<To, float> &&
                           (std::is_same_v<From, std::int8_t> || std::is_same_v<From, std::uint8_t> ||
                            std::is_same_v<From, std::int16_t> || std::is_same_v<From, std::int32_t>);
  if constexpr (to_float || (std::is_same_v<From, float> && std::is_same_v<To, std::int32_t>)) {
    if (!t.is_reference()) {
      cast_table<From, To>::slots[t.slot()](n, in, out);
      return;
    }
  }
  reference::cast(n, in, out);
}

/// ARG_MAX (Max) or ARG_MIN over [outer, size, inner]: integer values along the last axis
/// (inner == 1) on target `t`, anything else (floats, whose NaNs order
/// differently, and inner axes) on the reference kernel.
template <bool Max, class T, class Index>
inline void arg_extreme(target t, std::int64_t outer, int size, std::int64_t inner, const T* in, Index* out) noexcept {
  if constexpr (std::is_integral_v<T>) {
    if (inner == 1 && !t.is_reference()) {
      arg_extreme_table<Max, T, Index>::slots[t.slot()](outer, size, in, out);
      return;
    }
  }
  reference::arg_extreme<Max>(outer, size, inner, in, out);
}

/// TRANSPOSE of ElementBytes-sized elements; `f` is interleave_form_of(g):
/// 1-byte planes interleaved or deinterleaved on target `t`, anything else
/// on the reference kernel.
template <std::size_t ElementBytes>
inline void transpose(target t, const transpose_geometry& g, const interleave_form& f, const void* in,
                      void* out) noexcept {
  if constexpr (ElementBytes == 1) {
    if (f.valid && !t.is_reference()) {
      transpose_planes_table::slots[t.slot()](f, static_cast<const unsigned char*>(in), static_cast<unsigned char*>(out));
      return;
    }
  }
  reference::transpose<ElementBytes>(g, in, out);
}

/// Quantized SUM: int8 and uint8 on target `t`, int16 on the reference
/// kernel; `m` is the scale ratio, `scratch` holds g.out_elements int32 sums.
template <class T>
inline void sum_quantized(target t, const reduce_geometry& g, const T* in, std::int32_t input_zero_point,
                          quantized_multiplier m, std::int32_t output_zero_point, std::int32_t* scratch,
                          T* out) noexcept {
  if constexpr (sizeof(T) == 2) {
    (void)t;
    reference::sum(g, in, input_zero_point, m, output_zero_point, scratch, out);
  } else {
    if (t.is_reference()) reference::sum(g, in, input_zero_point, m, output_zero_point, scratch, out);
    else sum_quantized_table<T>::slots[t.slot()](g, in, input_zero_point, m, output_zero_point, scratch, out);
  }
}

/// Quantized MEAN: the SUM with 1/n folded into the multiplier.
template <class T>
inline void mean_quantized(target t, const reduce_geometry& g, const T* in, std::int32_t input_zero_point,
                           quantized_multiplier m, std::int32_t output_zero_point, std::int32_t* scratch,
                           T* out) noexcept {
  sum_quantized(t, g, in, input_zero_point, mean_multiplier(m, g.reduced_elements), output_zero_point, scratch, out);
}

/// REDUCE_MAX (Max) or REDUCE_MIN of f32, int8 or int16 on target `t`.
template <bool Max, class T>
inline void reduce_extreme(target t, const reduce_geometry& g, const T* in, T* out) noexcept {
  if (t.is_reference()) reference::reduce_extreme<Max>(g, in, out);
  else reduce_extreme_table<Max, T>::slots[t.slot()](g, in, out);
}

/// MAX_POOL_2D: int8, uint8 and float on target `t`, int16 on the reference
/// kernel.
template <class T, class Range, class Geometry>
inline void max_pool2d(target t, const Geometry& g, const T* in, Range act, T* out) noexcept {
  if constexpr (sizeof(T) == 1 || std::is_same_v<T, float>) {
    if (!t.is_reference()) {
      max_pool_table<T, Range>::slots[t.slot()](value_of(g), in, act, out);
      return;
    }
  }
  reference::max_pool2d(g, in, act, out);
}

/// AVERAGE_POOL_2D: float, and int8 and uint8 windows of fewer than 2^16
/// taps (kernels/pool-inl.hpp), on target `t`; int16 and larger 8-bit
/// windows on the reference kernel.
template <class T, class Range, class Geometry>
inline void average_pool2d(target t, const Geometry& g, const T* in, Range act, T* out) noexcept {
  const window_geometry& w = value_of(g);
  if constexpr (std::is_same_v<T, float>) {
    if (!t.is_reference()) {
      average_pool_float_table::slots[t.slot()](w, in, act, out);
      return;
    }
  } else if constexpr (sizeof(T) == 1) {
    if (w.filter_h * w.filter_w < (1 << 16) && !t.is_reference()) {
      average_pool_quantized_table<T>::slots[t.slot()](w, in, act, out);
      return;
    }
  }
  reference::average_pool2d(g, in, act, out);
}

/// An elementwise op as a lookup in its table
/// (kernels/reference/lookup_table.hpp), on target `t`: an 8-bit op's
/// 256 entries (tabulate, make_lookup_table), indexed by the input byte.
template <class In, class Out>
inline void look_up(target t, std::int64_t n, const In* in, const lookup_table<Out>& table, Out* out) noexcept {
  if (t.is_reference()) reference::lookup(n, in, table, out);
  else lookup_bytes_table<In, Out>::slots[t.slot()](n, in, table.data(), out);
}

/// The same for an int16 op: TFLite's interpolated table
/// (make_lookup_table_int16). The vectors read each segment's base and slope
/// as one word (lookup_interpolated-inl.hpp), packed here: 512 of them,
/// which a few hundred elements repay; shorter inputs take the reference
/// loop (the same bits).
inline void look_up(target t, std::int64_t n, const std::int16_t* in, const lookup_table_int16& table,
                    std::int16_t* out) noexcept {
  if (t.is_reference() || n < 512) {
    reference::lookup(n, in, table, out);
    return;
  }
  alignas(64) std::int32_t segments[512];
  for (std::size_t k = 0; k < 512; ++k) {
    const auto slope = static_cast<std::uint16_t>(table[k + 1] - table[k]);  // wrapped, as LUTLookup's
    segments[k] = static_cast<std::int32_t>(static_cast<std::uint32_t>(static_cast<std::uint16_t>(table[k])) |
                                            static_cast<std::uint32_t>(slope) << 16);
  }
  lookup_interpolated_table::slots[t.slot()](n, in, segments, out);
}

/// QUANTIZE of floats to T: int8, uint8 and int16 on target `t`, other types
/// on the reference kernel.
template <class T>
inline void quantize(target t, std::int64_t n, const float* in, float scale, std::int32_t zero_point, T* out) noexcept {
  if constexpr (sizeof(T) <= 2) {
    if (!t.is_reference()) {
      quantize_table<T>::quantize[t.slot()](n, in, scale, zero_point, out);
      return;
    }
  }
  reference::quantize(n, in, scale, zero_point, out);
}

/// DEQUANTIZE of T to floats: int8, uint8 and int16 on target `t`, other
/// types on the reference kernel.
template <class T>
inline void dequantize(target t, std::int64_t n, const T* in, float scale, std::int32_t zero_point, float* out) noexcept {
  if constexpr (sizeof(T) <= 2) {
    if (!t.is_reference()) {
      quantize_table<T>::dequantize[t.slot()](n, in, scale, zero_point, out);
      return;
    }
  }
  reference::dequantize(n, in, scale, zero_point, out);
}

/// DEQUANTIZE of float16 (TFLite's float16 weights), which carry no scale or
/// zero point: exact widening. It runs once per model in practice, when
/// the interpreter folds a constant's DEQUANTIZE (runtime/fold_constants.hpp).
inline void dequantize(target, std::int64_t n, const half* in, float, std::int32_t, float* out) noexcept {
  reference::widen(n, in, out);
}

/// int8 SVDF with an int16 or int8 state, on target `t`.
template <class State>
inline void svdf_quantized(target t, const svdf_geometry& g, const svdf_params& p, const svdf_args<State>& a) noexcept {
  if (t.is_reference())
    reference::svdf(g, p, a.input, a.weights_feature, a.weights_time, a.bias, a.state, a.scratch, a.output);
  else svdf_quantized_table<State>::slots[t.slot()](g, p, a);
}

}  // namespace qfence::kernels

QFENCE_EXACT_FLOAT_END

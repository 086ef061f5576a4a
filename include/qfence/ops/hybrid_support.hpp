// qfence/ops/hybrid_support.hpp: what the typed hybrid layers (float
// input, int8 weights: the dynamic-range scheme) of CONV_2D,
// DEPTHWISE_CONV_2D and FULLY_CONNECTED share: their scratch, the
// description their packed arrays are made from, and the choice between
// the SIMD kernels (kernels/hybrid_conv.hpp) and the reference.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "qfence/core/activation.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/window_geometry.hpp"
#include "qfence/kernels/dispatch.hpp"
#include "qfence/kernels/hybrid_conv.hpp"
#include "qfence/kernels/reference/hybrid.hpp"
#include "qfence/kernels/target.hpp"
#include "qfence/ops/op_support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::detail {

/// Scratch bytes of a hybrid layer (float input Input, int8 weights W
/// with `channels` output channels, `batches` quantization batches): the
/// reference kernel's (kernels/reference/hybrid.hpp) or the SIMD kernels'
/// (kernels/hybrid_conv.hpp), whichever is more, as the target decides at
/// run time. The SIMD pad row is at most a channel's weights (a filter row,
/// a tap or a depth) rounded to 4, or the padded channels (depthwise).
template <class Input, class W>
constexpr std::size_t hybrid_scratch_need(int channels, int batches) {
  const int per_channel = static_cast<int>(W::elements / channels);
  const int pad = std::max((per_channel + 3) / 4 * 4, (channels + 15) / 16 * 16);
  return std::max(reference::hybrid_scratch_bytes(Input::elements, batches),
                  kernels::hybrid_scratch_size(Input::elements, (channels + 15) / 16 * 16, pad));
}

/// What kernels::hybrid_arrays packs a typed hybrid layer from.
template <auto Packing, class W, std::size_t Channels, activation Act, bool FullyConnected, bool AsymmetricFc>
struct hybrid_spec {
  static constexpr auto packing = Packing;
  static constexpr auto scales = weight_scales<W, Channels>();
  static constexpr activation act = Act;
  static constexpr bool fully_connected = FullyConnected;
  static constexpr bool asymmetric_fc = AsymmetricFc;
};

/// A typed hybrid layer on target `t`: the SIMD kernels on its packed
/// arrays, or the reference kernel (`reference_run()`) on the reference
/// target.
template <class Arrays, class ReferenceRun>
inline void run_hybrid(kernels::target t, const window_geometry& g, const Arrays& a, const float* in,
                       std::int64_t elements, void* scratch, float* out, ReferenceRun&& reference_run) {
  if (t.is_reference()) {
    reference_run();
    return;
  }
  kernels::hybrid_layer(t, g, a.constants(), a.weight_data(), in,
                        kernels::hybrid_scratch_at(scratch, elements, Arrays::channels, Arrays::pad_bytes), out);
}

}  // namespace qfence::detail

QFENCE_EXACT_FLOAT_END

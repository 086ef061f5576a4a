// qfence/kernels/packed_conv_float.hpp: the layout the float convolution
// kernel reads its weights and bias in (kernels/conv2d_float-inl.hpp).
//
// TFLite's float convolution sums, for each output, filter * input over the
// taps in (fy, fx, ic) order, then adds the bias. The kernel keeps that order
// in every lane and puts output channels side by side in a vector, so the
// weights of one tap and input channel must be contiguous over the output
// channels: [tap][in_c][padded out_c] (the reference's OHWI transposed),
// rows rounded up with weights of 0 to channel_tile. The bias is padded
// alike (0 where the layer has none: TFLite adds 0.0f too).
#pragma once

#include <cstddef>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/packed_conv.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::kernels {

/// The sizes of one packed float convolution (groups of 1) or fully
/// connected layer: `depth` (filter_h * filter_w * in_c) weights per output
/// channel. One array holds the weights, then the bias.
struct conv_float_packing {
  int out_c = 0, depth = 0;

  constexpr int padded_out_c() const noexcept { return round_up(out_c, channel_tile); }
  constexpr std::size_t weight_count() const noexcept {
    return static_cast<std::size_t>(depth) * static_cast<std::size_t>(padded_out_c());
  }
  constexpr std::size_t count() const noexcept { return weight_count() + static_cast<std::size_t>(padded_out_c()); }
};

/// Packs OHWI (or [units][depth]) weights and the bias (may be null) into
/// `packed` (p.count() floats).
constexpr void pack_conv_float(conv_float_packing p, const float* weights, const float* bias, float* packed) noexcept {
  const std::size_t padded = static_cast<std::size_t>(p.padded_out_c()), depth = static_cast<std::size_t>(p.depth);
  const std::size_t out_c = static_cast<std::size_t>(p.out_c);
  for (std::size_t k = 0; k < depth; ++k)
    for (std::size_t c = 0; c < padded; ++c) packed[k * padded + c] = c < out_c ? weights[c * depth + k] : 0.0f;
  float* packed_bias = packed + p.weight_count();
  for (std::size_t c = 0; c < padded; ++c) packed_bias[c] = bias != nullptr && c < out_c ? bias[c] : 0.0f;
}

/// The packed bias of `packed`.
constexpr const float* packed_conv_float_bias(conv_float_packing p, const float* packed) noexcept {
  return packed + p.weight_count();
}

}  // namespace qfence::kernels

QFENCE_EXACT_FLOAT_END

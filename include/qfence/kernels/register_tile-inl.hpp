// qfence/kernels/register_tile-inl.hpp: the register budget of the conv
// kernels' tiles (re-included per target through kernels/dispatch.hpp).
//
// CONV_2D and FULLY_CONNECTED, int8 and float, compute a tile of output
// pixels x vectors of output channels in registers: one accumulator per
// (pixel, vector), one weight vector per vector of channels reused by every
// pixel, one broadcast input per pixel reused by every vector. The budget
// is the target's register file, so it is written once here for both.
#include <hwy/highway.h>

#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

#if defined(QFENCE_KERNELS_REGISTER_TILE_INL_HPP_) == defined(HWY_TARGET_TOGGLE)
#ifdef QFENCE_KERNELS_REGISTER_TILE_INL_HPP_
#undef QFENCE_KERNELS_REGISTER_TILE_INL_HPP_
#else
#define QFENCE_KERNELS_REGISTER_TILE_INL_HPP_
#endif

HWY_BEFORE_NAMESPACE();
namespace qfence::kernels::HWY_NAMESPACE {

/// Vectors of output channels in the widest tile.
inline constexpr int kTileVectors = 4;
/// Registers for accumulators: 24 of AVX-512's 32 (beside the weight vectors
/// and a broadcast), 12 of 16 elsewhere.
inline constexpr int kTileAccumulators = HWY_ARCH_X86 && HWY_TARGET > HWY_AVX3 ? 12 : 24;

/// Output pixels of a tile `vectors` wide: as many as the accumulators
/// allow, at most `max_pixels` (the kernel's own bound on its per-pixel
/// state).
constexpr int TilePixels(int vectors, int max_pixels) noexcept {
  return kTileAccumulators / vectors > max_pixels ? max_pixels : kTileAccumulators / vectors;
}

}  // namespace qfence::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle

QFENCE_EXACT_FLOAT_END

// qfence/kernels/transpose-inl.hpp: TRANSPOSE that interleaves or
// deinterleaves two to four planes, with Highway, per target (re-included
// through kernels/dispatch.hpp).
//
// Models that take images as NCHW start with a TRANSPOSE to NHWC
// (MobileNetV2 int8 1x3x224x224: 3 planes of 50,176 bytes), which the
// reference copies a byte at a time with a stride of 3 (75 us). With the
// dimensions merged, that is out[b][s][r] = in[b][r][s] for R = 3 planes of
// S elements: Highway's StoreInterleaved3 writes a vector from each plane
// per step. The other direction (NHWC to NCHW) is LoadInterleaved. Copying
// moves the same bytes whatever they mean, so the kernel moves bytes: it
// serves 1-byte elements (int8, uint8, bool), the quantized models' inputs.
// kernels::transpose (dispatch.hpp) takes this form when the geometry has
// it (kernels/transpose_planes.hpp) and the reference otherwise.
#include <cstddef>
#include <cstdint>

#include <hwy/highway.h>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/transpose_planes.hpp"

QFENCE_EXACT_FLOAT_BEGIN

#if defined(QFENCE_KERNELS_TRANSPOSE_INL_HPP_) == defined(HWY_TARGET_TOGGLE)
#ifdef QFENCE_KERNELS_TRANSPOSE_INL_HPP_
#undef QFENCE_KERNELS_TRANSPOSE_INL_HPP_
#else
#define QFENCE_KERNELS_TRANSPOSE_INL_HPP_
#endif

HWY_BEFORE_NAMESPACE();
namespace qfence::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

namespace transpose_detail {

/// One batch: out[s][r] = in[r][s] (Interleave), or out[r][s] = in[s][r].
template <int R, bool Interleave, class T>
HWY_INLINE void Planes(const T* in, std::int64_t s_count, T* out) {
  const hn::ScalableTag<T> d;
  const std::int64_t n = static_cast<std::int64_t>(hn::Lanes(d));
  std::int64_t s = 0;
  if constexpr (Interleave) {
    const auto plane = [&](int r) { return hn::LoadU(d, in + r * s_count + s); };
    for (; s + n <= s_count; s += n) {
      if constexpr (R == 2) hn::StoreInterleaved2(plane(0), plane(1), d, out + s * R);
      if constexpr (R == 3) hn::StoreInterleaved3(plane(0), plane(1), plane(2), d, out + s * R);
      if constexpr (R == 4) hn::StoreInterleaved4(plane(0), plane(1), plane(2), plane(3), d, out + s * R);
    }
    for (; s < s_count; ++s)
      for (int r = 0; r < R; ++r) out[s * R + r] = in[r * s_count + s];
  } else {
    hn::Vec<decltype(d)> v[4];
    for (; s + n <= s_count; s += n) {
      if constexpr (R == 2) hn::LoadInterleaved2(d, in + s * R, v[0], v[1]);
      if constexpr (R == 3) hn::LoadInterleaved3(d, in + s * R, v[0], v[1], v[2]);
      if constexpr (R == 4) hn::LoadInterleaved4(d, in + s * R, v[0], v[1], v[2], v[3]);
      for (int r = 0; r < R; ++r) hn::StoreU(v[r], d, out + r * s_count + s);
    }
    for (; s < s_count; ++s)
      for (int r = 0; r < R; ++r) out[r * s_count + s] = in[s * R + r];
  }
}

}  // namespace transpose_detail

/// The transpose `f` describes (interleave_form), of bytes.
HWY_NOINLINE inline void TransposePlanes(const interleave_form& f, const unsigned char* in, unsigned char* out) {
  using T = unsigned char;
  using namespace transpose_detail;
  for (std::int64_t b = 0; b < f.batches; ++b) {
    const T* from = in + b * f.batch_in_stride;
    T* to = out + b * f.planes * f.plane_size;
    const auto run = [&]<int R>() {
      if (f.interleave) Planes<R, true>(from, f.plane_size, to);
      else Planes<R, false>(from, f.plane_size, to);
    };
    if (f.planes == 2) run.template operator()<2>();
    else if (f.planes == 3) run.template operator()<3>();
    else run.template operator()<4>();
  }
}

}  // namespace qfence::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggle

QFENCE_EXACT_FLOAT_END

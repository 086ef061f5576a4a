// qfence/kernels/reference/gather.hpp: GATHER, slices of params picked by
// indices along an axis, per batch (TFLM's gather.cc). Out-of-range indices
// (a run-time data error in TFLite, undefined in TFLM) give zeros, never a
// read outside params.
#pragma once

#include <cstdint>
#include <cstring>

#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// GATHER's sizes, in elements: params is [batch, outer, axis_size, inner]
/// and indices [batch, coords] once dimensions are merged.
struct gather_geometry {
  std::int64_t batch = 1, outer = 1, axis_size = 1, inner = 1, coords = 1;
};

/// The geometry of params `dims` (rank `rank`) and indices with `coords`
/// elements per batch, for a resolved axis and batch_dims.
constexpr gather_geometry make_gather_geometry(const int* dims, int rank, int axis, int batch_dims,
                                               std::int64_t index_elements) noexcept {
  gather_geometry g;
  for (int d = 0; d < batch_dims; ++d) g.batch *= dims[d];
  for (int d = batch_dims; d < axis; ++d) g.outer *= dims[d];
  g.axis_size = dims[axis];
  for (int d = axis + 1; d < rank; ++d) g.inner *= dims[d];
  g.coords = g.batch > 0 ? index_elements / g.batch : 0;
  return g;
}

namespace reference {

/// EMBEDDING_LOOKUP's hybrid form (TFLM's EvalHybrid): the rows of an int8
/// table at `ids`, each value (q - 0) x scale in float; rows of ids outside
/// the table are zeros (TFLM stops the invoke there; qfence, as for
/// GATHER, writes zeros).
inline void embedding_lookup_dequantize(std::int64_t rows, std::int64_t columns, const std::int8_t* table,
                                        const std::int32_t* ids, std::int64_t count, float scale, float* out) noexcept {
  for (std::int64_t i = 0; i < count; ++i) {
    float* y = out + i * columns;
    const std::int64_t at = ids[i];
    if (at < 0 || at >= rows) {
      for (std::int64_t c = 0; c < columns; ++c) y[c] = 0.0f;
      continue;
    }
    const std::int8_t* x = table + at * columns;
    for (std::int64_t c = 0; c < columns; ++c) y[c] = static_cast<float>(x[c]) * scale;
  }
}

template <class Index>
inline void gather(const gather_geometry& g, std::size_t element_bytes, const void* params, const Index* indices,
                   void* output) noexcept {
  const auto* src = static_cast<const unsigned char*>(params);
  auto* dst = static_cast<unsigned char*>(output);
  const auto slice = static_cast<std::size_t>(g.inner) * element_bytes;
  for (std::int64_t b = 0; b < g.batch; ++b)
    for (std::int64_t o = 0; o < g.outer; ++o)
      for (std::int64_t c = 0; c < g.coords; ++c) {
        const auto at = static_cast<std::int64_t>(indices[b * g.coords + c]);
        const std::int64_t to = ((b * g.outer + o) * g.coords + c) * g.inner;
        if (at >= 0 && at < g.axis_size)
          std::memcpy(dst + static_cast<std::size_t>(to) * element_bytes,
                      src + static_cast<std::size_t>(((b * g.outer + o) * g.axis_size + at) * g.inner) * element_bytes,
                      slice);
        else
          std::memset(dst + static_cast<std::size_t>(to) * element_bytes, 0, slice);
      }
}

}  // namespace reference

}  // namespace qfence

QFENCE_EXACT_FLOAT_END

// qfence/kernels/reference/dynamic_update_slice.hpp: DYNAMIC_UPDATE_SLICE
// (TFLM's dynamic_update_slice.cc): the operand copied to the output (unless
// they share a buffer), then the update's rows written at the start indices,
// each clamped into [0, operand dim - update dim].
#pragma once

#include <array>
#include <cstdint>
#include <cstring>

#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::reference {

template <class Index>
inline void dynamic_update_slice(int rank, const int* operand_dims, const int* update_dims, std::size_t element_bytes,
                                 const void* operand, const void* update, const Index* start, void* out) noexcept {
  std::int64_t operand_elements = 1, update_elements = 1;
  for (int d = 0; d < rank; ++d) {
    operand_elements *= operand_dims[d];
    update_elements *= update_dims[d];
  }
  auto* dst = static_cast<unsigned char*>(out);
  const auto* src = static_cast<const unsigned char*>(update);
  if (operand != out) std::memcpy(dst, operand, static_cast<std::size_t>(operand_elements) * element_bytes);
  if (update_elements == 0) return;
  if (rank == 0) {
    std::memcpy(dst, src, element_bytes);
    return;
  }
  std::array<std::int64_t, 6> at{}, stride{};
  std::int64_t s = 1;
  for (int d = rank - 1; d >= 0; --d) {
    const std::int64_t most = operand_dims[d] - update_dims[d];
    const auto raw = static_cast<std::int64_t>(start[d]);
    at[static_cast<std::size_t>(d)] = raw < 0 ? 0 : (raw > most ? most : raw);
    stride[static_cast<std::size_t>(d)] = s;
    s *= operand_dims[d];
  }
  // Each row of the update (its last dimension) is one copy.
  const auto row = static_cast<std::size_t>(update_dims[rank - 1]) * element_bytes;
  std::array<int, 6> i{};
  for (std::int64_t r = 0; r < update_elements / update_dims[rank - 1]; ++r) {
    std::int64_t offset = 0;
    for (int d = 0; d < rank; ++d) offset += (at[static_cast<std::size_t>(d)] + i[static_cast<std::size_t>(d)]) * stride[static_cast<std::size_t>(d)];
    std::memcpy(dst + static_cast<std::size_t>(offset) * element_bytes, src + static_cast<std::size_t>(r) * row, row);
    for (int d = rank - 2; d >= 0; --d) {
      if (++i[static_cast<std::size_t>(d)] < update_dims[d]) break;
      i[static_cast<std::size_t>(d)] = 0;
    }
  }
}

}  // namespace qfence::reference

QFENCE_EXACT_FLOAT_END

// qfence/rules/signal/support.hpp: what the rules of TFLM's signal library
// ops (the audio front end: rules/signal/*.hpp) share.
//
// The signal ops compute on raw integers: their tensors carry no
// quantization, and several use the unsigned wide dtypes (u32 energies, u64
// filter-bank sums) that no other op takes.
#pragma once

#include <cstdint>

#include "qfence/core/exact_float.hpp"
#include "qfence/rules/support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::rules {

/// An unquantized tensor of dtype `d` (a raw-integer signal operand).
constexpr bool is_raw(const tensor_desc& t, dtype d) noexcept { return t.type == d && !t.quant.quantized(); }

/// An unquantized vector (rank 1) of dtype `d`.
constexpr bool is_raw_vector(const tensor_desc& t, dtype d) noexcept { return is_raw(t, d) && t.rank == 1; }

/// A vector of `n` elements of dtype `d`, unquantized: the outputs of the
/// signal ops.
constexpr tensor_desc raw_vector(dtype d, std::int64_t n) noexcept {
  tensor_desc t{};
  t.type = d;
  t.rank = 1;
  t.dims[0] = n;
  return t;
}

}  // namespace qfence::rules

QFENCE_EXACT_FLOAT_END

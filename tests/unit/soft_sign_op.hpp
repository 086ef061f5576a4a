// soft_sign, the custom elementwise op the table tests share.
#pragma once

#include <cstdint>

#include "qfence/core/tensor_type.hpp"
#include "qfence/graph/custom_op.hpp"

namespace qtest {

/// x / (1 + |x|): a custom elementwise op with a constexpr float function,
/// so its tables (ops/tabulated.hpp) are built at compile time.
struct soft_sign {
  QFENCE_CUSTOM_OP(soft_sign)
  static constexpr qfence::dtype accepts = qfence::f32;
  template <class In> using output = qfence::tensor<qfence::f32, typename In::shape_type>;
  template <class In, class Out>
  static void run(const float* in, float* out) {
    for (std::int64_t i = 0; i < In::elements; ++i) out[i] = apply(in[i]);
  }
  static constexpr float apply(float x) { return x / (1.0f + (x < 0 ? -x : x)); }
};

}  // namespace qtest

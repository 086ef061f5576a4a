// qfence/rules/circular_buffer.hpp: the type and shape rule of
// CIRCULAR_BUFFER (TFLM's custom op; kernels/reference/circular_buffer.hpp).
//
// Operand 0, the input sample, i8 [1, 1, W, D]; the output, the register of
// `slots` samples, [1, slots, W, D] with the input's dtype and quantization
// (it holds the input's bytes). TFLM checks the matching dimensions and the
// dtype; it shifts the register as one batch, so qfence also requires batch
// 1, and it copies bytes, so qfence requires the input's quantization
// (TFLM's own stated assumption).
#pragma once

#include "qfence/core/exact_float.hpp"
#include "qfence/rules/support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

struct circular_buffer_attrs {
  std::int64_t slots = 0;
  int period = 0;  // invokes per run of the ops after it, >= 1
};

constexpr rule_result circular_buffer_rule(const circular_buffer_attrs& a, const tensor_desc& in,
                                           const output_request& req) noexcept {
  if (in.type != dtype::i8 || in.rank != 4 || in.dim(0) != 1 || in.dim(1) != 1)
    return rule_fail(rule_error::circular_buffer_operands, 0);
  if (a.slots < 1 || a.period < 1) return rule_fail(rule_error::circular_buffer_operands, output_operand);
  const std::int64_t dims[4] = {1, a.slots, in.dim(2), in.dim(3)};
  return rules::same_quantization_output(in.reshaped(4, dims), req);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END

// qfence/quant/conversion_ops.hpp: the operations that move values
// between integers and float without computing anything, which the
// quantizer and the debugger treat as borders rather than layers.
#pragma once

#include <cstddef>

#include "qfence/core/exact_float.hpp"
#include "qfence/runtime/model.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::quant {

/// Whether `op` is a QUANTIZE or a DEQUANTIZE: a border of a fence or of
/// the model, not a layer of the float model.
inline bool is_conversion(const runtime::operation& op) {
  return op.code == runtime::op_code::quantize || op.code == runtime::op_code::dequantize;
}

/// Whether `op` of `m` turns integer data into float (a CAST of uint8
/// pixels or int32 indices): it computes nothing in float, so quantized
/// values begin at its output, as at a float input. TFLite's converter
/// keeps such a CAST and QUANTIZEs its output; it is no fence.
inline bool makes_float_from_integers(const runtime::operation& op, const runtime::model& m) {
  if (op.code != runtime::op_code::cast || op.inputs.size() != 1 || op.inputs[0] < 0) return false;
  const runtime::tensor& in = m.tensors[static_cast<std::size_t>(op.inputs[0])];
  return in.type != dtype::f32 && !in.quant.quantized();
}

}  // namespace qfence::quant

QFENCE_EXACT_FLOAT_END

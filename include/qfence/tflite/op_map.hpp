// qfence/tflite/op_map.hpp: TFLite BuiltinOperator -> the runtime IR's op_code.
//
// The one place where TFLite's operator numbers meet qfence's vocabulary: the
// reader calls it for every operator code of a file.
#pragma once

#include <cstdint>

#include "qfence/core/exact_float.hpp"
#include "qfence/runtime/op_code.hpp"
#include "qfence/tflite/builtin_op.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::tflite {

/// The runtime op for a TFLite builtin code: custom for CUSTOM, unknown for
/// an operator qfence has no code for (the reader keeps its number and name).
constexpr runtime::op_code to_op_code(std::int32_t builtin) noexcept {
  switch (static_cast<builtin_op>(builtin)) {
    case builtin_op::custom: return runtime::op_code::custom;
#define QFENCE_TFLITE_OP(code, name) \
  case builtin_op::code:             \
    return runtime::op_code::code;
      QFENCE_RUNTIME_OPS(QFENCE_TFLITE_OP)
#undef QFENCE_TFLITE_OP
    default: return runtime::op_code::unknown;
  }
}

/// The TFLite builtin code of a runtime op (the inverse of to_op_code), for
/// operations the quantizer adds (QUANTIZE, DEQUANTIZE); -1 for unknown.
constexpr std::int32_t to_builtin_code(runtime::op_code code) noexcept {
  switch (code) {
    case runtime::op_code::custom: return static_cast<std::int32_t>(builtin_op::custom);
#define QFENCE_TFLITE_CODE(code, name) \
  case runtime::op_code::code:         \
    return static_cast<std::int32_t>(builtin_op::code);
      QFENCE_RUNTIME_OPS(QFENCE_TFLITE_CODE)
#undef QFENCE_TFLITE_CODE
    default: return -1;
  }
}

}  // namespace qfence::tflite

QFENCE_EXACT_FLOAT_END

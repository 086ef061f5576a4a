// qfence/runtime/op_table.hpp: what runs where, per operator: the dtypes
// qfence runs on both paths, which of them TFLM runs, and the ops TFLM has
// that qfence does not have yet. `qfence ops` prints it (text, --json,
// --markdown) and the README's op table is that output.
//
// A dtype here is the dtype of the op's data operand: its input 0, except
// for EMBEDDING_LOOKUP (the table, input 1), FILL (the value, input 1) and
// TFLM_DECODE (its outputs, the decoded tensors),
// and for control flow and resource variables the data they pass on (IF,
// WHILE, READ_VARIABLE, ASSIGN_VARIABLE take any dtype);
// QUANTIZE lists its inputs (f32 to quantize, i8/u8/i16 to requantize),
// CAST its inputs. The table is not a promise written apart from the code:
// tests/models/both_paths.py requires it to agree with the op matrix
// (tests/models/write_op_matrix.cpp) both ways: every dtype listed for qfence
// has a case that runs on both paths (on the runtime path, with `qfence
// embed` refusing it by name, for a runtime-only op) and every such case's
// dtype is listed; the TFLM column lists exactly the dtypes whose cases
// TFLM's own interpreter ran (tests/data/op_matrix_tflm.txt).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "qfence/core/dtype.hpp"
#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::runtime {

/// A set of dtypes.
struct dtype_list {
  std::uint16_t bits = 0;
  constexpr dtype_list() noexcept = default;
  constexpr dtype_list(std::initializer_list<dtype> ds) noexcept {
    for (dtype d : ds) bits = static_cast<std::uint16_t>(bits | (1u << static_cast<unsigned>(d)));
  }
  constexpr bool has(dtype d) const noexcept { return ((bits >> static_cast<unsigned>(d)) & 1u) != 0; }
  constexpr bool empty() const noexcept { return bits == 0; }
};

/// Where qfence runs an op.
enum class op_paths {
  both,          ///< the runtime and the compile-time path
  runtime_only,  ///< `qfence run`; `qfence embed` refuses it by name (none today)
};

struct op_row {
  std::string_view name;  ///< the model file's name: a BuiltinOperator's, or a custom op's custom_code
  dtype_list qfence;      ///< dtypes qfence runs (empty: not in qfence yet)
  dtype_list tflm;        ///< those TFLM's reference kernels run too
  bool in_tflm = true;    ///< TFLM registers the op (MicroMutableOpResolver, tflite-micro 2026)
  std::string_view tflm_note{};  ///< for an op qfence lacks: what TFLM runs
  op_paths paths = op_paths::both;
};

/// Every op TFLM registers, and every op qfence runs, by name. (TFLM's
/// resolver also registers "ethos-u", when built for an Arm Ethos-U NPU: it
/// hands a compiled command stream to that hardware, so no CPU runs it.)
inline constexpr op_row op_table[] = {
    {"ABS", {f32, i8, i16}, {f32, i8, i16}, true},
    {"ADD", {f32, i8, u8, i16, i32}, {f32, i8, i16, i32}, true},
    {"ADD_N", {f32, i8, i32}, {f32, i8}, true},
    {"ARG_MAX", {f32, i8, u8, i16}, {f32, i8}, true},
    {"ARG_MIN", {f32, i8, u8, i16}, {f32, i8}, true},
    {"ASSIGN_VARIABLE", {f32, i8}, {f32, i8}, true},
    {"AVERAGE_POOL_2D", {f32, i8, u8, i16}, {f32, i8, i16}, true},
    {"BATCH_MATMUL", {f32, i8, i16}, {f32, i8, i16}, true},
    {"BATCH_TO_SPACE_ND", {f32, i8}, {f32, i8}, true},
    {"BROADCAST_ARGS", {i32, i64}, {i32, i64}, true},
    {"BROADCAST_TO", {f32, i8}, {f32, i8}, true},
    {"CALL_ONCE", {f32, i8}, {f32, i8}, true},
    {"CAST", {f32, i8, u8}, {f32, i8}, true},
    {"CEIL", {f32}, {f32}, true},
    {"CONCATENATION", {f32, i8, u8, i16, i32, i64, boolean}, {f32, i8, i16, i32, i64, boolean}, true},
    {"CONV_2D", {f32, i8, u8, i16}, {f32, i8, i16}, true},
    {"COS", {f32}, {f32}, true},
    {"CUMSUM", {f32, i8, i32}, {f32, i8}, true},
    {"DEPTHWISE_CONV_2D", {f32, i8, u8, i16}, {f32, i8, i16}, true},
    {"DEPTH_TO_SPACE", {f32, i8}, {f32, i8}, true},
    {"DEQUANTIZE", {i8, u8, i16}, {i8, u8, i16}, true},
    {"DIV", {f32}, {f32}, true},
    {"DYNAMIC_UPDATE_SLICE", {f32, i8, i16, i32}, {f32, i8, i16, i32}, true},
    {"ELU", {f32, i8}, {f32, i8}, true},
    {"EMBEDDING_LOOKUP", {f32, i8, u8}, {f32, i8}, true},
    {"EQUAL", {f32, i8, i32, i64, boolean}, {f32, i8, i32, i64, boolean}, true},
    {"EXP", {f32, i8, i16}, {f32}, true},
    {"EXPAND_DIMS", {f32, i8, i16}, {f32, i8}, true},
    {"FILL", {f32, i8, i32}, {f32, i8, i32}, true},
    {"FLOOR", {f32}, {f32}, true},
    {"FLOOR_DIV", {f32, i32}, {f32}, true},
    {"FLOOR_MOD", {f32, i32}, {f32}, true},
    {"FULLY_CONNECTED", {f32, i8, u8, i16}, {f32, i8, i16}, true},
    {"GATHER", {f32, i8, i16}, {f32, i8}, true},
    {"GATHER_ND", {f32, i8, u8, i16}, {f32, i8}, true},
    {"GELU", {f32, i8, u8, i16}, {}, false},
    {"GREATER", {f32, i8, i32, i64}, {f32, i8, i32, i64}, true},
    {"GREATER_EQUAL", {f32, i8, i32, i64}, {f32, i8, i32, i64}, true},
    {"HARD_SWISH", {f32, i8, u8}, {f32, i8}, true},
    {"IF", {f32, i8}, {f32, i8}, true},
    {"L2_NORMALIZATION", {f32, i8, u8}, {f32, i8}, true},
    {"L2_POOL_2D", {f32}, {f32}, true},
    {"LEAKY_RELU", {f32, i8, i16}, {f32, i8, i16}, true},
    {"LESS", {f32, i8, i32, i64}, {f32, i8, i32, i64}, true},
    {"LESS_EQUAL", {f32, i8, i32, i64}, {f32, i8, i32, i64}, true},
    {"LOG", {f32}, {f32}, true},
    {"LOGICAL_AND", {boolean}, {boolean}, true},
    {"LOGICAL_NOT", {boolean}, {boolean}, true},
    {"LOGICAL_OR", {boolean}, {boolean}, true},
    {"LOGISTIC", {f32, i8, u8, i16}, {f32, i8, i16}, true},
    {"LOG_SOFTMAX", {f32, i8, u8}, {f32, i8}, true},
    {"MAXIMUM", {f32, i8, i16, i32, i64}, {f32, i8, i16, i32, i64}, true},
    {"MAX_POOL_2D", {f32, i8, u8, i16}, {f32, i8, i16}, true},
    {"MEAN", {f32, i8, u8, i16}, {f32, i8, i16}, true},
    {"MINIMUM", {f32, i8, i16, i32, i64}, {f32, i8, i16, i32, i64}, true},
    {"MIRROR_PAD", {f32, i8}, {f32, i8}, true},
    {"MUL", {f32, i8, u8, i16, i32}, {f32, i8, i16, i32}, true},
    {"NEG", {f32}, {f32}, true},
    {"NOT_EQUAL", {f32, i8, i32, i64, boolean}, {f32, i8, i32, i64, boolean}, true},
    {"PACK", {f32, i8, u8, i16, i32, i64}, {f32, i8, i16, i32, i64}, true},
    {"PAD", {f32, i8, u8, i16}, {f32, i8, i16}, true},
    {"PADV2", {f32, i8, i16}, {f32, i8, i16}, true},
    {"PRELU", {f32, i8, u8, i16}, {f32, i8, i16}, true},
    {"QUANTIZE", {f32, i8, u8, i16}, {f32, i8, u8, i16}, true},
    {"READ_VARIABLE", {f32, i8}, {f32, i8}, true},
    {"REDUCE_ALL", {boolean}, {boolean}, true},
    {"REDUCE_MAX", {f32, i8, i16}, {f32, i8}, true},
    {"REDUCE_MIN", {f32, i8, i16}, {f32, i8}, true},
    {"RELU", {f32, i8, u8, i16}, {f32, i8, i16}, true},
    {"RELU6", {f32, i8, u8, i16}, {f32, i8, i16}, true},
    {"RESHAPE", {f32, i8, u8, i16, i32, i64}, {f32, i8, u8, i16, i32, i64}, true},
    {"RESIZE_BILINEAR", {f32, i8, u8, i16}, {f32, i8}, true},
    {"RESIZE_NEAREST_NEIGHBOR", {f32, i8, u8, i16}, {f32, i8, i16}, true},
    {"REVERSE_V2", {f32, i8, i16}, {f32, i8, i16}, true},
    {"ROUND", {f32}, {f32}, true},
    {"RSQRT", {f32, i8}, {f32, i8}, true},
    {"SELECT_V2", {f32, i8, i16, i32}, {f32, i8, i16}, true},
    {"SHAPE", {f32, i8}, {f32}, true},
    {"SIN", {f32}, {f32}, true},
    {"SLICE", {f32, i8, i16, boolean}, {f32, i8, i16, boolean}, true},
    {"SOFTMAX", {f32, i8, u8, i16}, {f32, i8, i16}, true},
    {"SPACE_TO_BATCH_ND", {f32, i8}, {f32, i8}, true},
    {"SPACE_TO_DEPTH", {f32, i8}, {f32, i8}, true},
    {"SPLIT", {f32, i8, u8, i16}, {f32, i8, i16}, true},
    {"SPLIT_V", {f32, i8, i16}, {f32, i8, i16}, true},
    {"SQRT", {f32}, {f32}, true},
    {"SQUARE", {f32}, {f32}, true},
    {"SQUARED_DIFFERENCE", {f32, i8, i16, i32}, {f32, i8, i16, i32}, true},
    {"SQUEEZE", {f32, i8, i16}, {f32, i8, i16}, true},
    {"STRIDED_SLICE", {f32, i8, u8, i16}, {f32, i8, i16}, true},
    {"SUB", {f32, i8, u8, i16, i32}, {f32, i8, i16, i32}, true},
    {"SUM", {f32, i8, i16}, {f32, i8, i16}, true},
    {"SVDF", {f32, i8}, {f32, i8}, true},
    {"TANH", {f32, i8, i16}, {f32, i8, i16}, true},
    {"TRANSPOSE", {f32, i8, u8, i16}, {f32, i8, i16}, true},
    {"TRANSPOSE_CONV", {f32, i8, i16}, {f32, i8, i16}, true},
    {"UNIDIRECTIONAL_SEQUENCE_LSTM", {f32, i8, i16}, {f32, i8, i16}, true},
    {"UNPACK", {f32, i8, u8, i16, i32}, {f32, i8, i16, i32}, true},
    {"VAR_HANDLE", {f32, i8}, {f32, i8}, true},
    {"WHILE", {f32, i8}, {f32, i8}, true},
    {"ZEROS_LIKE", {f32, i8, i32}, {f32, i8, i32}, true},
    {"CIRCULAR_BUFFER", {i8}, {i8}, true},
    {"TFLite_Detection_PostProcess", {f32}, {f32}, true},
    {"SignalDelay", {i16}, {i16}, true},
    {"SignalEnergy", {i16}, {i16}, true},
    {"SignalFftAutoScale", {i16}, {i16}, true},
    {"SignalFilterBank", {u32}, {u32}, true},
    {"SignalFilterBankLog", {u32}, {u32}, true},
    {"SignalFilterBankSquareRoot", {u64}, {u64}, true},
    {"SignalFilterBankSpectralSubtraction", {u32}, {u32}, true},
    {"SignalFramer", {i16}, {i16}, true},
    {"SignalIrfft", {f32, i16, i32}, {f32, i16, i32}, true},
    {"SignalOverlapAdd", {f32, i16}, {f32, i16}, true},
    {"SignalPCAN", {u32}, {u32}, true},
    {"SignalRfft", {f32, i16, i32}, {f32, i16, i32}, true},
    {"SignalStacker", {i16}, {i16}, true},
    {"SignalWindow", {i16}, {i16}, true},
    {"TFLM_DECODE", {f32, i8, i16, i32, boolean}, {f32, i8, i16, i32, boolean}, true},
};

/// The row of the op named `name`, or null.
constexpr const op_row* find_op_row(std::string_view name) noexcept {
  for (const op_row& r : op_table)
    if (r.name == name) return &r;
  return nullptr;
}

}  // namespace qfence::runtime

QFENCE_EXACT_FLOAT_END

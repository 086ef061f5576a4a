// qfence/runtime/op_code.hpp: the runtime IR's own op vocabulary.
//
// The runtime IR names operations with qfence's codes, not a file format's:
// the TFLite reader maps each BuiltinOperator to an op_code at import
// (tflite/op_map.hpp), so runtime/, the interpreter and the code generator
// never see TFLite's numbers, and another importer could produce the same IR.
// An operator qfence has no code for stays `unknown`, with the file's code and
// name kept in the operation for messages.
#pragma once

#include <string_view>

#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::runtime {

/// X(code, NAME): every op the runtime IR knows, with the name messages use
/// (TFLite's spelling, which is what users see in their tools).
#define QFENCE_RUNTIME_OPS(X)                                            \
  X(abs, "ABS")                                                          \
  X(add, "ADD")                                                          \
  X(add_n, "ADD_N")                                                      \
  X(arg_max, "ARG_MAX")                                                  \
  X(arg_min, "ARG_MIN")                                                  \
  X(assign_variable, "ASSIGN_VARIABLE")                                  \
  X(average_pool_2d, "AVERAGE_POOL_2D")                                  \
  X(batch_matmul, "BATCH_MATMUL")                                        \
  X(batch_to_space_nd, "BATCH_TO_SPACE_ND")                              \
  X(broadcast_args, "BROADCAST_ARGS")                                    \
  X(broadcast_to, "BROADCAST_TO")                                        \
  X(call_once, "CALL_ONCE")                                              \
  X(cast, "CAST")                                                        \
  X(ceil, "CEIL")                                                        \
  X(concatenation, "CONCATENATION")                                      \
  X(conv_2d, "CONV_2D")                                                  \
  X(cos, "COS")                                                          \
  X(cumsum, "CUMSUM")                                                    \
  X(depth_to_space, "DEPTH_TO_SPACE")                                    \
  X(depthwise_conv_2d, "DEPTHWISE_CONV_2D")                              \
  X(dequantize, "DEQUANTIZE")                                            \
  X(div, "DIV")                                                          \
  X(dynamic_update_slice, "DYNAMIC_UPDATE_SLICE")                        \
  X(elu, "ELU")                                                          \
  X(embedding_lookup, "EMBEDDING_LOOKUP")                                \
  X(equal, "EQUAL")                                                      \
  X(exp, "EXP")                                                          \
  X(expand_dims, "EXPAND_DIMS")                                          \
  X(fill, "FILL")                                                        \
  X(floor, "FLOOR")                                                      \
  X(floor_div, "FLOOR_DIV")                                              \
  X(floor_mod, "FLOOR_MOD")                                              \
  X(fully_connected, "FULLY_CONNECTED")                                  \
  X(gather, "GATHER")                                                    \
  X(gather_nd, "GATHER_ND")                                              \
  X(gelu, "GELU")                                                        \
  X(greater, "GREATER")                                                  \
  X(greater_equal, "GREATER_EQUAL")                                      \
  X(hard_swish, "HARD_SWISH")                                            \
  X(if_, "IF")                                                           \
  X(l2_normalization, "L2_NORMALIZATION")                                \
  X(l2_pool_2d, "L2_POOL_2D")                                            \
  X(leaky_relu, "LEAKY_RELU")                                            \
  X(less, "LESS")                                                        \
  X(less_equal, "LESS_EQUAL")                                            \
  X(log, "LOG")                                                          \
  X(log_softmax, "LOG_SOFTMAX")                                          \
  X(logical_and, "LOGICAL_AND")                                          \
  X(logical_not, "LOGICAL_NOT")                                          \
  X(logical_or, "LOGICAL_OR")                                            \
  X(logistic, "LOGISTIC")                                                \
  X(max_pool_2d, "MAX_POOL_2D")                                          \
  X(maximum, "MAXIMUM")                                                  \
  X(mean, "MEAN")                                                        \
  X(minimum, "MINIMUM")                                                  \
  X(mirror_pad, "MIRROR_PAD")                                            \
  X(mul, "MUL")                                                          \
  X(neg, "NEG")                                                          \
  X(not_equal, "NOT_EQUAL")                                              \
  X(pack, "PACK")                                                        \
  X(pad, "PAD")                                                          \
  X(padv2, "PADV2")                                                      \
  X(prelu, "PRELU")                                                      \
  X(quantize, "QUANTIZE")                                                \
  X(read_variable, "READ_VARIABLE")                                      \
  X(reduce_all, "REDUCE_ALL")                                            \
  X(reduce_max, "REDUCE_MAX")                                            \
  X(reduce_min, "REDUCE_MIN")                                            \
  X(relu, "RELU")                                                        \
  X(relu6, "RELU6")                                                      \
  X(reshape, "RESHAPE")                                                  \
  X(resize_bilinear, "RESIZE_BILINEAR")                                  \
  X(resize_nearest_neighbor, "RESIZE_NEAREST_NEIGHBOR")                  \
  X(reverse_v2, "REVERSE_V2")                                            \
  X(round, "ROUND")                                                      \
  X(rsqrt, "RSQRT")                                                      \
  X(select_v2, "SELECT_V2")                                              \
  X(shape, "SHAPE")                                                      \
  X(sin, "SIN")                                                          \
  X(slice, "SLICE")                                                      \
  X(softmax, "SOFTMAX")                                                  \
  X(space_to_batch_nd, "SPACE_TO_BATCH_ND")                              \
  X(space_to_depth, "SPACE_TO_DEPTH")                                    \
  X(split, "SPLIT")                                                      \
  X(split_v, "SPLIT_V")                                                  \
  X(sqrt, "SQRT")                                                        \
  X(square, "SQUARE")                                                    \
  X(squared_difference, "SQUARED_DIFFERENCE")                            \
  X(squeeze, "SQUEEZE")                                                  \
  X(strided_slice, "STRIDED_SLICE")                                      \
  X(sub, "SUB")                                                          \
  X(sum, "SUM")                                                          \
  X(svdf, "SVDF")                                                        \
  X(tanh, "TANH")                                                        \
  X(transpose, "TRANSPOSE")                                              \
  X(transpose_conv, "TRANSPOSE_CONV")                                    \
  X(unidirectional_sequence_lstm, "UNIDIRECTIONAL_SEQUENCE_LSTM")        \
  X(unpack, "UNPACK")                                                    \
  X(var_handle, "VAR_HANDLE")                                            \
  X(while_, "WHILE")                                                     \
  X(zeros_like, "ZEROS_LIKE")
enum class op_code : int {
  unknown,  // an operator of the file that qfence has no code for
  custom,   // an application-defined op, named by operation::custom_code
#define QFENCE_OP_ENUM(code, name) code,
  QFENCE_RUNTIME_OPS(QFENCE_OP_ENUM)
#undef QFENCE_OP_ENUM
};

/// The name of a known op ("CONV_2D"); "CUSTOM" and "UNKNOWN" for the others.
constexpr std::string_view op_code_name(op_code c) noexcept {
  switch (c) {
    case op_code::unknown: return "UNKNOWN";
    case op_code::custom: return "CUSTOM";
#define QFENCE_OP_NAME(code, name) \
  case op_code::code:              \
    return name;
      QFENCE_RUNTIME_OPS(QFENCE_OP_NAME)
#undef QFENCE_OP_NAME
  }
  return "UNKNOWN";
}

}  // namespace qfence::runtime

QFENCE_EXACT_FLOAT_END

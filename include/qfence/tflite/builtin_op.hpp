// qfence/tflite/builtin_op.hpp: TFLite builtin operator codes and their names.
//
// The codes are the values of the format's BuiltinOperator enum. The schema
// reads them as plain integers (see schema.fbs) so that a model with an op
// newer than this list still loads far enough to be reported by name or number.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::tflite {

/// The builtin operators qfence names in code (the ones it implements, plus
/// CUSTOM). Every other code still has a name through builtin_op_name().
enum class builtin_op : std::int32_t {
  add = 0,
  average_pool_2d = 1,
  concatenation = 2,
  conv_2d = 3,
  depthwise_conv_2d = 4,
  depth_to_space = 5,
  dequantize = 6,
  embedding_lookup = 7,
  floor = 8,
  fully_connected = 9,
  l2_normalization = 11,
  l2_pool_2d = 12,
  logistic = 14,
  max_pool_2d = 17,
  mul = 18,
  relu = 19,
  relu6 = 21,
  reshape = 22,
  resize_bilinear = 23,
  softmax = 25,
  space_to_depth = 26,
  svdf = 27,
  tanh = 28,
  custom = 32,
  pad = 34,
  gather = 36,
  batch_to_space_nd = 37,
  space_to_batch_nd = 38,
  transpose = 39,
  mean = 40,
  sub = 41,
  div = 42,
  squeeze = 43,
  unidirectional_sequence_lstm = 44,
  strided_slice = 45,
  exp = 47,
  split = 49,
  log_softmax = 50,
  cast = 53,
  prelu = 54,
  maximum = 55,
  arg_max = 56,
  minimum = 57,
  less = 58,
  neg = 59,
  padv2 = 60,
  greater = 61,
  greater_equal = 62,
  less_equal = 63,
  slice = 65,
  sin = 66,
  transpose_conv = 67,
  expand_dims = 70,
  equal = 71,
  not_equal = 72,
  log = 73,
  sum = 74,
  sqrt = 75,
  rsqrt = 76,
  shape = 77,
  arg_min = 79,
  reduce_max = 82,
  pack = 83,
  logical_or = 84,
  logical_and = 86,
  logical_not = 87,
  unpack = 88,
  reduce_min = 89,
  floor_div = 90,
  floor_mod = 95,
  square = 92,
  zeros_like = 93,
  fill = 94,
  resize_nearest_neighbor = 97,
  leaky_relu = 98,
  squared_difference = 99,
  mirror_pad = 100,
  abs = 101,
  split_v = 102,
  ceil = 104,
  reverse_v2 = 105,
  add_n = 106,
  gather_nd = 107,
  cos = 108,
  elu = 111,
  quantize = 114,
  round = 116,
  hard_swish = 117,
  if_ = 118,
  while_ = 119,
  select_v2 = 123,
  batch_matmul = 126,
  cumsum = 128,
  call_once = 129,
  broadcast_to = 130,
  reduce_all = 140,
  var_handle = 142,
  read_variable = 143,
  assign_variable = 144,
  broadcast_args = 145,
  gelu = 150,
  dynamic_update_slice = 151,
};

namespace detail {
inline constexpr std::array<std::string_view, 162> builtin_op_names = {
    "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D", "DEPTH_TO_SPACE", "DEQUANTIZE",
    "EMBEDDING_LOOKUP", "FLOOR", "FULLY_CONNECTED", "HASHTABLE_LOOKUP", "L2_NORMALIZATION", "L2_POOL_2D",
    "LOCAL_RESPONSE_NORMALIZATION", "LOGISTIC", "LSH_PROJECTION", "LSTM", "MAX_POOL_2D", "MUL", "RELU",
    "RELU_N1_TO_1", "RELU6", "RESHAPE", "RESIZE_BILINEAR", "RNN", "SOFTMAX", "SPACE_TO_DEPTH", "SVDF", "TANH",
    "CONCAT_EMBEDDINGS", "SKIP_GRAM", "CALL", "CUSTOM", "EMBEDDING_LOOKUP_SPARSE", "PAD",
    "UNIDIRECTIONAL_SEQUENCE_RNN", "GATHER", "BATCH_TO_SPACE_ND", "SPACE_TO_BATCH_ND", "TRANSPOSE", "MEAN",
    "SUB", "DIV", "SQUEEZE", "UNIDIRECTIONAL_SEQUENCE_LSTM", "STRIDED_SLICE", "BIDIRECTIONAL_SEQUENCE_RNN",
    "EXP", "TOPK_V2", "SPLIT", "LOG_SOFTMAX", "DELEGATE", "BIDIRECTIONAL_SEQUENCE_LSTM", "CAST", "PRELU",
    "MAXIMUM", "ARG_MAX", "MINIMUM", "LESS", "NEG", "PADV2", "GREATER", "GREATER_EQUAL", "LESS_EQUAL", "SELECT",
    "SLICE", "SIN", "TRANSPOSE_CONV", "SPARSE_TO_DENSE", "TILE", "EXPAND_DIMS", "EQUAL", "NOT_EQUAL", "LOG",
    "SUM", "SQRT", "RSQRT", "SHAPE", "POW", "ARG_MIN", "FAKE_QUANT", "REDUCE_PROD", "REDUCE_MAX", "PACK",
    "LOGICAL_OR", "ONE_HOT", "LOGICAL_AND", "LOGICAL_NOT", "UNPACK", "REDUCE_MIN", "FLOOR_DIV", "REDUCE_ANY",
    "SQUARE", "ZEROS_LIKE", "FILL", "FLOOR_MOD", "RANGE", "RESIZE_NEAREST_NEIGHBOR", "LEAKY_RELU",
    "SQUARED_DIFFERENCE", "MIRROR_PAD", "ABS", "SPLIT_V", "UNIQUE", "CEIL", "REVERSE_V2", "ADD_N", "GATHER_ND",
    "COS", "WHERE", "RANK", "ELU", "REVERSE_SEQUENCE", "MATRIX_DIAG", "QUANTIZE", "MATRIX_SET_DIAG", "ROUND",
    "HARD_SWISH", "IF", "WHILE", "NON_MAX_SUPPRESSION_V4", "NON_MAX_SUPPRESSION_V5", "SCATTER_ND", "SELECT_V2",
    "DENSIFY", "SEGMENT_SUM", "BATCH_MATMUL", "PLACEHOLDER_FOR_GREATER_OP_CODES", "CUMSUM", "CALL_ONCE",
    "BROADCAST_TO", "RFFT2D", "CONV_3D", "IMAG", "REAL", "COMPLEX_ABS", "HASHTABLE", "HASHTABLE_FIND",
    "HASHTABLE_IMPORT", "HASHTABLE_SIZE", "REDUCE_ALL", "CONV_3D_TRANSPOSE", "VAR_HANDLE", "READ_VARIABLE",
    "ASSIGN_VARIABLE", "BROADCAST_ARGS", "RANDOM_STANDARD_NORMAL", "BUCKETIZE", "RANDOM_UNIFORM", "MULTINOMIAL",
    "GELU", "DYNAMIC_UPDATE_SLICE", "RELU_0_TO_1", "UNSORTED_SEGMENT_PROD", "UNSORTED_SEGMENT_MAX",
    "UNSORTED_SEGMENT_SUM", "ATAN2", "UNSORTED_SEGMENT_MIN", "SIGN", "BITCAST", "BITWISE_XOR", "RIGHT_SHIFT",
};
}  // namespace detail

/// The format's name of builtin code `code` (e.g. "CONV_2D"), or
/// "BUILTIN_<code>" for a code newer than this list.
inline std::string builtin_op_name(std::int32_t code) {
  if (code >= 0 && static_cast<std::size_t>(code) < detail::builtin_op_names.size())
    return std::string(detail::builtin_op_names[static_cast<std::size_t>(code)]);
  return "BUILTIN_" + std::to_string(code);
}

inline std::string builtin_op_name(builtin_op op) { return builtin_op_name(static_cast<std::int32_t>(op)); }

}  // namespace qfence::tflite

QFENCE_EXACT_FLOAT_END

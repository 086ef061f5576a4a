// qfence/rules/reduce.hpp: the type and shape rule of the reductions MEAN,
// SUM, REDUCE_MAX, REDUCE_MIN and REDUCE_ALL (TFLM's reduce.cc).
//
// Operand 0 has rank <= 6; the axes (each in [-rank, rank), repeats count
// once) and keep_dims are attributes. The output drops the reduced
// dimensions (or keeps them as 1). Per reduction:
//   MEAN  f32, i8, u8, i16   requantized to the requested parameters
//   SUM   f32, i8, i16       requantized to the requested parameters
//   MAX   f32, i8, i16       the input's parameters (it selects, TFLM checks)
//   MIN   f32, i8, i16       the input's parameters
//   ALL   bool
#pragma once

#include <array>
#include <string_view>

#include "qfence/core/exact_float.hpp"
#include "qfence/rules/support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

inline constexpr int max_reduce_rank = 6;

/// What a reduction folds its elements into.
enum class reduction { mean, sum, max, min, all };

/// X(tag, kind): each reduction op, as the typed graph and the runtime IR
/// name it (qf::tag, op_code::tag), and its reduction.
#define QFENCE_REDUCTION_OPS(X) \
  X(mean, mean)                 \
  X(sum, sum)                   \
  X(reduce_max, max)            \
  X(reduce_min, min)            \
  X(reduce_all, all)

/// The op's name in TFLite's vocabulary, for messages.
constexpr std::string_view reduction_name(reduction r) noexcept {
  switch (r) {
    case reduction::mean: return "MEAN";
    case reduction::sum: return "SUM";
    case reduction::max: return "REDUCE_MAX";
    case reduction::min: return "REDUCE_MIN";
    case reduction::all: return "REDUCE_ALL";
  }
  return "?";
}

struct reduce_attrs {
  int count = 0;  // axes given
  std::array<std::int64_t, max_rank> axes{};
  bool keep_dims = false;
};

constexpr rule_result reduce_rule(reduction r, const reduce_attrs& a, const tensor_desc& in,
                                  const output_request& req) noexcept {
  switch (r) {
    case reduction::mean: QFENCE_RULE_TRY(rules::check_activation(in, 0, {dtype::f32, dtype::i8, dtype::u8, dtype::i16})); break;
    case reduction::sum:
    case reduction::max:
    case reduction::min: QFENCE_RULE_TRY(rules::check_activation(in, 0, {dtype::f32, dtype::i8, dtype::i16})); break;
    case reduction::all:
      if (in.type != dtype::boolean || in.quant.quantized()) return rule_fail(rule_error::input_dtype, 0);
      break;
  }
  if (in.rank > max_reduce_rank || a.count < 0 || a.count > max_rank) return rule_fail(rule_error::axis_range, 0);
  std::array<bool, max_rank> reduced{};
  for (int i = 0; i < a.count; ++i) {
    const std::int64_t axis = a.axes[static_cast<std::size_t>(i)];
    if (axis < -in.rank || axis >= in.rank) return rule_fail(rule_error::axis_range, output_operand);
    reduced[static_cast<std::size_t>(axis < 0 ? axis + in.rank : axis)] = true;
  }
  tensor_desc out = in;
  out.rank = 0;
  out.dims = {};
  for (int d = 0; d < in.rank; ++d) {
    if (!reduced[static_cast<std::size_t>(d)]) out.dims[static_cast<std::size_t>(out.rank++)] = in.dims[static_cast<std::size_t>(d)];
    else if (a.keep_dims) out.dims[static_cast<std::size_t>(out.rank++)] = 1;
  }
  if (r == reduction::mean || r == reduction::sum) return rules::requantized_output(in, out, req);
  return rules::same_quantization_output(out, req);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END

// qfence/rules/mean.hpp: the type and shape rule of MEAN.
//
// Operand 0: f32, i8, u8 or i16 of rank <= 6; the axes (each in [-rank, rank))
// and keep_dims are attributes. The output drops the reduced dimensions (or
// keeps them as 1) and is requantized to the requested parameters.
#pragma once

#include <array>

#include "qfence/core/exact_float.hpp"
#include "qfence/rules/support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

inline constexpr int max_mean_rank = 6;

struct mean_attrs {
  int count = 0;  // axes given
  std::array<std::int64_t, max_rank> axes{};
  bool keep_dims = false;
};

constexpr rule_result mean_rule(const mean_attrs& a, const tensor_desc& in, const output_request& req) noexcept {
  QFENCE_RULE_TRY(rules::check_activation(in, 0, {dtype::f32, dtype::i8, dtype::u8, dtype::i16}));
  if (in.rank > max_mean_rank || a.count < 0 || a.count > max_rank) return rule_fail(rule_error::axis_range, 0);
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
  return rules::requantized_output(in, out, req);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END

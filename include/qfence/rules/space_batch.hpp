// qfence/rules/space_batch.hpp: the type and shape rules of SPACE_TO_BATCH_ND
// and BATCH_TO_SPACE_ND.
//
// Operand 0: [N, H, W, C] or [N, H, C] (one spatial dimension), a tensor an
// op may move (rules::is_movable); the block shape (>= 1 per spatial
// dimension) and the paddings or crops (>= 0, a pair per spatial dimension)
// are attributes (constant). SPACE_TO_BATCH_ND pads, then moves each block
// position into the batch: out [N b_h b_w, (H + pads) / b_h, (W + pads) /
// b_w, C], the padded sizes divisible by the blocks. BATCH_TO_SPACE_ND is the
// inverse with crops: out [N / (b_h b_w), H b_h - crops, W b_w - crops, C].
// The output keeps the input's dtype and quantization; padding is the zero
// point (TFLite's; TFLM reads an offset its Prepare never sets).
#pragma once

#include <array>

#include "qfence/core/exact_float.hpp"
#include "qfence/rules/support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

struct space_batch_attrs {
  bool to_batch = true;       // SPACE_TO_BATCH_ND; false: BATCH_TO_SPACE_ND
  int spatial = 0;            // block entries given
  std::array<std::int64_t, 2> block{1, 1};
  int pairs = 0;              // padding / crop values given
  std::array<std::int64_t, 4> edges{};  // top, bottom, left, right (paddings or crops)
};

constexpr rule_result space_batch_rule(const space_batch_attrs& a, const tensor_desc& in,
                                       const output_request& req) noexcept {
  if (!rules::is_movable(in)) return rule_fail(rule_error::input_dtype, 0);
  if (in.rank != 3 && in.rank != 4) return rule_fail(rule_error::input_rank, 0);
  const int spatial = in.rank - 2;
  if (a.spatial != spatial || a.pairs != 2 * spatial) return rule_fail(rule_error::space_batch_spec, output_operand);
  for (int s = 0; s < spatial; ++s)
    if (a.block[static_cast<std::size_t>(s)] < 1) return rule_fail(rule_error::space_batch_spec, output_operand);
  for (int e = 0; e < 2 * spatial; ++e)
    if (a.edges[static_cast<std::size_t>(e)] < 0) return rule_fail(rule_error::space_batch_spec, output_operand);
  tensor_desc out = in;
  std::int64_t blocks = 1;
  for (int s = 0; s < spatial; ++s) {
    const auto k = static_cast<std::size_t>(s);
    const std::int64_t b = a.block[k], edges = a.edges[2 * k] + a.edges[2 * k + 1], dim = in.dims[k + 1];
    blocks *= b;
    if (a.to_batch) {
      if ((dim + edges) % b != 0) return rule_fail(rule_error::space_batch_spec, 0);
      out.dims[k + 1] = (dim + edges) / b;
    } else {
      if (edges >= dim * b) return rule_fail(rule_error::space_batch_spec, output_operand);
      out.dims[k + 1] = dim * b - edges;
    }
  }
  if (a.to_batch) {
    out.dims[0] = in.dims[0] * blocks;
  } else {
    if (in.dims[0] % blocks != 0) return rule_fail(rule_error::space_batch_spec, 0);
    out.dims[0] = in.dims[0] / blocks;
  }
  return rules::same_quantization_output(out, req);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END

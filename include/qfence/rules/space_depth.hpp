// qfence/rules/space_depth.hpp: the type and shape rules of DEPTH_TO_SPACE
// and SPACE_TO_DEPTH, and the transpose each one is.
//
// Operand 0: a 4-D NHWC tensor (f32, i8 in TFLM; any dtype moves alike);
// the block size (>= 1) is an attribute. DEPTH_TO_SPACE: C divisible by
// block^2, out [N, H*b, W*b, C/b^2]; SPACE_TO_DEPTH: H and W divisible by b,
// out [N, H/b, W/b, C*b^2]. The output keeps the input's dtype and
// quantization.
//
// Both are one 6-D transpose: DEPTH_TO_SPACE views its input as
// [N, H, W, b, b, C'] and SPACE_TO_DEPTH as [N, H', b, W', b, C]; the
// permutation [0, 1, 3, 2, 4, 5] gives the output in either case (TFLite's
// DepthToSpace: out(n, h, w, c) = in(n, h / b, w / b, ((h % b) b + w % b) C' + c)).
#pragma once

#include <array>

#include "qfence/core/exact_float.hpp"
#include "qfence/rules/support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

struct space_depth_attrs {
  bool to_space = true;  // DEPTH_TO_SPACE; false: SPACE_TO_DEPTH
  int block = 1;
};

constexpr rule_result space_depth_rule(const space_depth_attrs& a, const tensor_desc& in,
                                       const output_request& req) noexcept {
  if (in.rank != 4) return rule_fail(rule_error::input_rank, 0);
  const std::int64_t b = a.block;
  if (b < 1) return rule_fail(rule_error::space_depth_block, output_operand);
  tensor_desc out = in;
  if (a.to_space) {
    if (in.dims[3] % (b * b) != 0) return rule_fail(rule_error::space_depth_block, 0);
    out.dims = {in.dims[0], in.dims[1] * b, in.dims[2] * b, in.dims[3] / (b * b)};
  } else {
    if (in.dims[1] % b != 0 || in.dims[2] % b != 0) return rule_fail(rule_error::space_depth_block, 0);
    out.dims = {in.dims[0], in.dims[1] / b, in.dims[2] / b, in.dims[3] * b * b};
  }
  return rules::same_quantization_output(out, req);
}

/// The 6-D view of the input and the permutation that make the op a
/// TRANSPOSE; call for operands the rule accepted.
struct space_depth_view {
  std::array<int, 6> dims{};
  std::array<int, 6> perm{0, 1, 3, 2, 4, 5};
};
constexpr space_depth_view space_depth_transpose(const space_depth_attrs& a, const int* nhwc) noexcept {
  const int b = a.block;
  if (a.to_space) return {{nhwc[0], nhwc[1], nhwc[2], b, b, nhwc[3] / (b * b)}, {0, 1, 3, 2, 4, 5}};
  return {{nhwc[0], nhwc[1] / b, b, nhwc[2] / b, b, nhwc[3]}, {0, 1, 3, 2, 4, 5}};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END

// qfence/rules/resize.hpp: the type and shape rule of RESIZE_BILINEAR and
// RESIZE_NEAREST_NEIGHBOR.
//
// Operand 0: [N, H, W, C] (bilinear: f32, u8, i8, i16; nearest neighbour
// copies any dtype). The output size [OH, OW] is an attribute; the output
// [N, OH, OW, C] keeps the input's dtype and quantization.
#pragma once

#include "qfence/core/exact_float.hpp"
#include "qfence/rules/support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

struct resize_attrs {
  bool bilinear = true;
  std::int64_t out_h = 0, out_w = 0;
  bool align_corners = false, half_pixel_centers = false;
};

constexpr rule_result resize_rule(const resize_attrs& a, const tensor_desc& in, const output_request& req) noexcept {
  if (in.rank != 4 || a.out_h <= 0 || a.out_w <= 0) return rule_fail(rule_error::resize_spec, 0);
  if (a.align_corners && a.half_pixel_centers) return rule_fail(rule_error::bad_option, output_operand);
  if (a.bilinear && !(in.type == dtype::f32 || in.type == dtype::u8 || in.type == dtype::i8 || in.type == dtype::i16))
    return rule_fail(rule_error::resize_spec, 0);
  const std::int64_t dims[4] = {in.dim(0), a.out_h, a.out_w, in.dim(3)};
  return rules::same_quantization_output(in.reshaped(4, dims), req);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END

// qfence/runtime/ops/matmul.hpp: BATCH_MATMUL with runtime shapes
// (kernels/reference/batch_matmul.hpp).
#pragma once

#include <cstdint>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/batch_matmul.hpp"
#include "qfence/rules/batch_matmul.hpp"
#include "qfence/runtime/op_context.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::runtime::ops {

inline kernel prepare_batch_matmul(const op_context& ctx) {
  ctx.require_io(2, 2, 1);
  const tensor &lhs = ctx.input(0), &rhs = ctx.input(1), &out = ctx.output(0);
  const batch_matmul_attrs a{ctx.options().adj_x, ctx.options().adj_y};
  ctx.enforce(batch_matmul_rule(a, describe(lhs), describe(rhs), request_for(out)), {0, 1});
  const batch_matmul_geometry g = make_batch_matmul_geometry(a, describe(lhs), describe(rhs));
  const int l_t = ctx.input_index(0), r_t = ctx.input_index(1), out_t = ctx.output_index(0);
  if (lhs.type == dtype::f32)
    return [=](const tensor_memory& m) {
      reference::batch_matmul(g, m.at<const float>(l_t), m.at<const float>(r_t), m.at<float>(out_t));
    };
  const batch_matmul_params p = make_batch_matmul_params(lhs.quant.scale(), lhs.quant.zero_point(), rhs.quant.scale(),
                                                         rhs.quant.zero_point(), out.quant.scale(), out.quant.zero_point());
  auto quantized = [&]<class T>(T*) -> kernel {
    return [=](const tensor_memory& m) {
      reference::batch_matmul(g, m.at<const T>(l_t), m.at<const T>(r_t), p, m.at<T>(out_t));
    };
  };
  if (lhs.type == dtype::i16) return quantized(static_cast<std::int16_t*>(nullptr));
  return quantized(static_cast<std::int8_t*>(nullptr));
}

}  // namespace qfence::runtime::ops

QFENCE_EXACT_FLOAT_END

// qfence/runtime/elementwise_custom_op.hpp: a custom elementwise op on the
// runtime path from its float function, on float tensors and, as a table,
// on 8-bit and int16 ones.
//
// The same op type as the compile-time path's `qfence::tabulated<Op>`
// (ops/tabulated.hpp) registers with the interpreter:
//
//     runtime::interpreter_options o;
//     o.custom_ops["gelu"] = runtime::prepare_elementwise<gelu>;
//
// Float tensors get `Op::apply` per element. Between int8 (or uint8)
// tensors quantized per tensor, prepare builds the 256-entry table of what
// a fence would compute (fenced_table: DEQUANTIZE, apply, QUANTIZE), and
// invoke looks the bytes up. Between int16 tensors (zero points 0, as
// TFLite's int16 kernels require) it is TFLite's int16 table
// (make_lookup_table_int16: 513 samples, interpolated), which approximates
// the fence instead of equalling it. `qfence quantize` keeps such an op
// int8 (int16) when it is named in quantize_options::tabulate, instead of
// fencing it.
#pragma once

#include <cstdint>

#include "qfence/core/exact_float.hpp"
#include "qfence/graph/custom_op.hpp"
#include "qfence/kernels/reference/lookup_table.hpp"
#include "qfence/rules/unary.hpp"
#include "qfence/runtime/op_context.hpp"
#include "qfence/runtime/ops/tabulated.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::runtime {

/// The prepare function of custom op `Op` (an elementwise_function): one
/// input, one output of the same shape; both f32, or both i8 (u8, i16)
/// quantized per tensor (float_function_rule, rules/unary.hpp, which the
/// typed `qfence::tabulated<Op>` asks as well).
template <class Op>
  requires elementwise_function<Op>
kernel prepare_elementwise(const op_context& ctx) {
  ctx.require_io(1, 1, 1);
  const tensor &in = ctx.input(0), &out = ctx.output(0);
  ctx.enforce(float_function_rule(describe(in), request_for(out)), {0});
  const std::int64_t n = in.elements();
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  if (in.type == dtype::f32) {
    return [=](const tensor_memory& m) {
      const float* x = m.at<const float>(in_t);
      float* y = m.at<float>(out_t);
      for (std::int64_t i = 0; i < n; ++i) y[i] = static_cast<float>(Op::apply(x[i]));
    };
  }
  auto table = [&]<class T>(T*) -> kernel {
    return ops::detail::lookup_kernel(ctx, function_table<T>(in.quant.scale(), in.quant.zero_point(), out.quant.scale(),
                                                             out.quant.zero_point(),
                                                             [](float x) { return static_cast<float>(Op::apply(x)); }));
  };
  if (in.type == dtype::i16) return table(static_cast<std::int16_t*>(nullptr));
  if (in.type == dtype::i8) return table(static_cast<std::int8_t*>(nullptr));
  return table(static_cast<std::uint8_t*>(nullptr));
}

}  // namespace qfence::runtime

QFENCE_EXACT_FLOAT_END

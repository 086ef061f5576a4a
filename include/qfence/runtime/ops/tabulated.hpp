// qfence/runtime/ops/tabulated.hpp: an 8-bit elementwise op prepared as a
// 256-entry table of its own reference kernel.
//
// An op from a 1-byte type to a 1-byte type that looks at each element alone
// (LOGISTIC and TANH in TFLM's fixed point, an 8-bit QUANTIZE, quantized
// RELU) has at most 256 distinct outputs. At prepare its reference kernel
// runs once on all 256 values (tabulate, kernels/reference/lookup_table.hpp);
// invoke looks the elements up (kernels::look_up). The bytes are the
// reference kernel's by construction. On the reference target
// (--reference-kernels) the reference kernel itself runs on every element, as
// the specification does.
#pragma once

#include <cstdint>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/dispatch.hpp"
#include "qfence/kernels/reference/lookup_table.hpp"
#include "qfence/runtime/op_context.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::runtime::ops::detail {

/// The kernel of an op whose reference kernel is `reference_kernel(n, in,
/// out)` on In and Out elements (1-byte types), input 0 to output 0.
template <class In, class Out, class ReferenceKernel>
kernel tabulated(const op_context& ctx, ReferenceKernel reference_kernel) {
  const std::int64_t n = ctx.input(0).elements();
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  const kernels::target target = ctx.simd_target();
  if (target.is_reference())
    return [=](const tensor_memory& m) { reference_kernel(n, m.at<const In>(in_t), m.at<Out>(out_t)); };
  const lookup_table<Out> table = tabulate<In, Out>([&](const In* in, Out* out) { reference_kernel(256, in, out); });
  return [=](const tensor_memory& m) { kernels::look_up(target, n, m.at<const In>(in_t), table, m.at<Out>(out_t)); };
}

/// The kernel of an op that is a table by definition, input 0 to output 0:
/// an 8-bit op's 256 entries (TFLite's LUT ops, make_lookup_table) or an
/// int16 op's interpolated table (make_lookup_table_int16), looked up as
/// kernels::look_up does on the context's target.
template <class Table>
kernel lookup_kernel(const op_context& ctx, const Table& table) {
  using T = typename Table::value_type;
  const std::int64_t n = ctx.input(0).elements();
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  const kernels::target target = ctx.simd_target();
  return [=](const tensor_memory& m) { kernels::look_up(target, n, m.at<const T>(in_t), table, m.at<T>(out_t)); };
}

}  // namespace qfence::runtime::ops::detail

QFENCE_EXACT_FLOAT_END

// qfence/runtime/ops/tabulated.hpp: an 8-bit elementwise op prepared as a
// 256-entry table of its own reference kernel.
//
// An op from a 1-byte type to a 1-byte type that looks at each element alone
// (LOGISTIC and TANH in TFLM's fixed point, an 8-bit QUANTIZE, quantized
// RELU) has at most 256 distinct outputs. At prepare its reference kernel
// runs once on all 256 values (tabulate, kernels/reference/lookup_table.hpp);
// invoke looks the elements up (kernels::lookup_bytes). The bytes are the
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
  return [=](const tensor_memory& m) { kernels::lookup_bytes(target, n, m.at<const In>(in_t), table, m.at<Out>(out_t)); };
}

/// The kernel of an op that is a table by definition (TFLite's LUT ops,
/// make_lookup_table), input 0 to output 0.
template <class T>
kernel lookup_kernel(const op_context& ctx, const lookup_table<T>& table) {
  const std::int64_t n = ctx.input(0).elements();
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  const kernels::target target = ctx.simd_target();
  return [=](const tensor_memory& m) { kernels::lookup_bytes(target, n, m.at<const T>(in_t), table, m.at<T>(out_t)); };
}

/// The same for an int16 op: TFLite's interpolated table (LUTLookup).
inline kernel lookup_kernel(const op_context& ctx, const lookup_table_int16& table) {
  const std::int64_t n = ctx.input(0).elements();
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  return [=](const tensor_memory& m) { reference::lookup(n, m.at<const std::int16_t>(in_t), table, m.at<std::int16_t>(out_t)); };
}

}  // namespace qfence::runtime::ops::detail

QFENCE_EXACT_FLOAT_END

// qfence/ops/concatenation.hpp: CONCATENATION along an axis.
//
// int8 inputs must all be quantized exactly like each other (TFLM copies
// bytes; it does not rescale); the output has their quantization. The
// requantizing form (concatenation_requantized) is what a QUANTIZE before
// each input whose parameters differ, then CONCATENATION, computes, in one
// node: the compile-time quantizer makes it where an input cannot take the
// concatenation's parameters, as `qfence quantize` inserts those QUANTIZEs.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <tuple>

#include "qfence/kernels/reference/concatenation.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/runtime/op_code.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/ops/quantize.hpp"
#include "qfence/rules/concatenation.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct concatenation {
  static constexpr const char* name = "concatenation";
  /// The op in the runtime IR's vocabulary (quant/op_property.hpp keys on it).
  static constexpr runtime::op_code code = runtime::op_code::concatenation;
};
}  // namespace op


/// Inputs keep their quantization (the default: all inputs must agree).
struct same_quantization {};
/// 8-bit inputs are each requantized to Q first, as QUANTIZE would.
template <class Q> struct requantized_to {};

namespace detail {
template <class OutQ> inline constexpr bool requantizes_inputs = false;
template <class Q> inline constexpr bool requantizes_inputs<requantized_to<Q>> = true;

/// The output quantization a node asks for.
template <class OutQ> struct requested_quant { using type = OutQ; };
template <class Q> struct requested_quant<requantized_to<Q>> { using type = Q; };

/// What the concatenation rule sees of an input: for a requantizing node, an
/// 8-bit per-tensor quantized input as the QUANTIZE before it would write it.
template <class OutQ, class T>
constexpr tensor_desc concatenated_operand() {
  tensor_desc d = describe<T>();
  if constexpr (requantizes_inputs<OutQ>) {
    if constexpr (sizeof(typename T::element) == 1 && T::quant::quantized && !T::quant::is_per_channel)
      return d.retyped(T::type, describe_quant<typename requested_quant<OutQ>::type>());
  }
  return d;
}
}  // namespace detail

template <int Axis, class OutQ, int... In>
struct concatenation_node {
  using op = op::concatenation;
  using inputs = refs<In...>;

  /// The op rule (qfence/rules/concatenation.hpp) on this node's operand types.
  template <class First, class... Rest>
  struct rule {
    static constexpr std::array<tensor_desc, 1 + sizeof...(Rest)> operands{
        detail::concatenated_operand<OutQ, First>(), detail::concatenated_operand<OutQ, Rest>()...};
    static constexpr output_request request = [] {
      if constexpr (std::is_same_v<OutQ, same_quantization>) return output_request{};
      else
        return output_request{true, true, First::type, describe_quant<typename detail::requested_quant<OutQ>::type>(),
                              false, {}};
    }();
    static constexpr rule_result value = concatenation_rule({Axis, activation::none, true}, operands.data(),
                                                            static_cast<int>(operands.size()), request);
  };

  template <int Index, class First, class... Rest>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<First, Rest...>, producer<First>, producer<Rest>...>()))
    return true;
  }

  template <int Index, class First, class... Rest>
  struct typed {
    static constexpr int axis = Axis < 0 ? Axis + static_cast<int>(First::rank) : Axis;
    using output = rule_output_keeping<rule<First, Rest...>, First>;
    template <class T> static constexpr bool same_as_output = std::is_same_v<typename T::quant, typename output::quant>;
    /// uint8 inputs quantized differently from the output are requantized
    /// (the rule allows it for uint8 only), in TFLite's float arithmetic;
    /// a requantizing node's, as QUANTIZE would.
    static constexpr bool rescale = !(same_as_output<First> && (same_as_output<Rest> && ...));
    static constexpr std::int64_t outer = [] {
      std::int64_t o = 1;
      for (int d = 0; d < axis; ++d) o *= First::shape_type::dim(d);
      return o;
    }();
    static constexpr std::int64_t inner_bytes = static_cast<std::int64_t>(sizeof(typename First::element)) *
                                                (First::elements / (outer * First::shape_type::dim(axis) == 0
                                                                        ? 1
                                                                        : outer * First::shape_type::dim(axis)));
    static constexpr std::int64_t copy_bytes[] = {inner_bytes * First::shape_type::dim(axis),
                                                  inner_bytes * Rest::shape_type::dim(axis)...};

    /// Outer slice `o` of input T after the ones before it: copied, or
    /// requantized byte by byte.
    template <class T>
    static void place(const typename T::element* in, std::int64_t o, std::int64_t bytes,
                      typename output::element*& out) {
      const typename T::element* from = in + o * bytes;
      if constexpr (same_as_output<T>) {
        std::memcpy(out, from, static_cast<std::size_t>(bytes));
      } else {
        for (std::int64_t j = 0; j < bytes; ++j)
          out[j] = requantization_table<T, output>[static_cast<std::uint8_t>(from[j])];
      }
      out += bytes;
    }

    static void run(const concatenation_node&, const typename First::element* first,
                    const typename Rest::element*... rest, typename output::element* out) {
      if constexpr (detail::requantizes_inputs<OutQ>) {
        static_assert(sizeof(typename output::element) == 1);
        for (std::int64_t o = 0; o < outer; ++o) {
          std::size_t k = 0;
          place<First>(first, o, copy_bytes[k++], out);
          (place<Rest>(rest, o, copy_bytes[k++], out), ...);
        }
      } else if constexpr (!rescale) {
        const void* ptrs[] = {first, rest...};
        reference::concatenation(static_cast<int>(1 + sizeof...(Rest)), ptrs, copy_bytes, outer, out);
      } else {
        const std::uint8_t* ptrs[] = {first, rest...};
        static constexpr float scales[] = {First::quant::scale, Rest::quant::scale...};
        static constexpr std::int32_t zero_points[] = {First::quant::zero_point, Rest::quant::zero_point...};
        reference::concatenation_with_scaling(static_cast<int>(1 + sizeof...(Rest)), ptrs, copy_bytes, outer, scales,
                                              zero_points, output::quant::scale, output::quant::zero_point, out);
      }
    }
  };
};

/// CONCATENATION of nodes' outputs along `Axis` (negative counts from the back).
template <int Axis, int... In>
constexpr auto concatenation(node_ref<In>...) {
  static_assert(sizeof...(In) >= 1, "qfence: concatenation needs at least one input");
  return concatenation_node<Axis, same_quantization, In...>{};
}

/// CONCATENATION of 8-bit inputs, each whose quantization differs from Q
/// first requantized to Q as QUANTIZE does: the bytes of QUANTIZE nodes
/// before those inputs and a CONCATENATION after them, in one node, so a
/// quantized model keeps the float model's node indices (qfence::quantize
/// makes it where an input cannot take the concatenation's parameters).
template <int Axis, class Q, int... In>
constexpr auto concatenation_requantized(node_ref<In>...) {
  static_assert(sizeof...(In) >= 1, "qfence: concatenation needs at least one input");
  return concatenation_node<Axis, requantized_to<Q>, In...>{};
}

/// CONCATENATION of uint8 inputs with different quantizations into `OutQ`
/// (TFLite's legacy ConcatenationWithScaling; TFLM has no such kernel).
template <int Axis, class OutQ, int... In>
constexpr auto concatenation_rescaled(node_ref<In>...) {
  static_assert(sizeof...(In) >= 1, "qfence: concatenation needs at least one input");
  return concatenation_node<Axis, OutQ, In...>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END

// qfence/ops/concatenation.hpp: CONCATENATION along an axis.
//
// int8 inputs must all be quantized exactly like each other (TFLM copies
// bytes; it does not rescale); the output has their quantization.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <tuple>

#include "qfence/kernels/reference/concatenation.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/runtime/op_code.hpp"
#include "qfence/ops/op_support.hpp"
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

template <int Axis, class OutQ, int... In>
struct concatenation_node {
  using op = op::concatenation;
  using inputs = refs<In...>;

  /// The op rule (qfence/rules/concatenation.hpp) on this node's operand types.
  template <class First, class... Rest>
  struct rule {
    static constexpr std::array<tensor_desc, 1 + sizeof...(Rest)> operands{describe<First>(), describe<Rest>()...};
    static constexpr output_request request = [] {
      if constexpr (std::is_same_v<OutQ, same_quantization>) return output_request{};
      else return output_request{true, true, First::type, describe_quant<OutQ>(), false, {}};
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
    /// uint8 inputs quantized differently from the output are requantized
    /// (the rule allows it for uint8 only).
    static constexpr bool rescale = !(std::is_same_v<typename First::quant, typename output::quant> &&
                                      (std::is_same_v<typename Rest::quant, typename output::quant> && ...));
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

    static void run(const concatenation_node&, const typename First::element* first,
                    const typename Rest::element*... rest, typename output::element* out) {
      if constexpr (!rescale) {
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

/// CONCATENATION of uint8 inputs with different quantizations into `OutQ`
/// (TFLite's legacy ConcatenationWithScaling; TFLM has no such kernel).
template <int Axis, class OutQ, int... In>
constexpr auto concatenation_rescaled(node_ref<In>...) {
  static_assert(sizeof...(In) >= 1, "qfence: concatenation needs at least one input");
  return concatenation_node<Axis, OutQ, In...>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END

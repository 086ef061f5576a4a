// qfence/ops/quantize.hpp: QUANTIZE (float -> int8, or int8 -> int8 with new
// parameters) and DEQUANTIZE (int8 -> float). These are also the nodes a fence
// inserts at its borders.
//
// Numerics (TFLite reference quantize.h, dequantize.h, requantize.h):
// q = clamp(round(x / scale) + zp) with the division in float;
// x = (float)(scale * (q - zp)) with the product in double;
// requantize = MultiplyByQuantizedMultiplier(q - zp_in, in_scale / out_scale) + zp_out.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>

#include "qfence/kernels/dispatch.hpp"
#include "qfence/kernels/reference/lookup_table.hpp"
#include "qfence/kernels/reference/quantize.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/runtime/op_code.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/quantize.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct quantize {
  static constexpr const char* name = "quantize";
  /// The op in the runtime IR's vocabulary (quant/op_property.hpp keys on it).
  static constexpr runtime::op_code code = runtime::op_code::quantize;
};
struct dequantize {
  static constexpr const char* name = "dequantize";
  /// The op in the runtime IR's vocabulary (quant/op_property.hpp keys on it).
  static constexpr runtime::op_code code = runtime::op_code::dequantize;
};
}  // namespace op


/// An 8-bit QUANTIZE from tensor type In's parameters to Out's, as a table:
/// QUANTIZE's reference requantization run on every byte. A requantizing
/// node (QUANTIZE, and a CONCATENATION whose inputs are requantized first)
/// looks its bytes up here.
template <class In, class Out>
  requires(sizeof(typename In::element) == 1 && sizeof(typename Out::element) == 1)
inline constexpr lookup_table<typename Out::element> requantization_table =
    tabulate<typename In::element, typename Out::element>([](const typename In::element* x,
                                                             typename Out::element* y) {
      constexpr quantized_multiplier m = scale_ratio_multiplier(In::quant::scale, Out::quant::scale);
      reference::requantize(256, x, In::quant::zero_point, m, Out::quant::zero_point, y);
    });

template <class Target, int In>
struct quantize_node {
  using op = op::quantize;
  using inputs = refs<In>;

  /// The op rule (qfence/rules/quantize.hpp) on this node's operand type.
  template <class Input>
  struct rule {
    static constexpr rule_result value = quantize_rule(describe<Input>(), requested_output<Target>());
  };

  template <int Index, class Input>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<Input>, producer<Input>>()))
    return true;
  }

  template <int Index, class Input>
  struct typed {
    using output = rule_output_type<rule<Input>>;
    using in_element = typename Input::element;
    using out_element = typename output::element;

    static constexpr void requantize(std::int64_t count, const in_element* in, out_element* out) {
      constexpr quantized_multiplier m = scale_ratio_multiplier(Input::quant::scale, output::quant::scale);
      reference::requantize(count, in, Input::quant::zero_point, m, output::quant::zero_point, out);
    }

    /// 8-bit to 8-bit requantization runs as a table of the reference,
    /// built at compile time and looked up on the model's SIMD target.
    struct prepared {
      constexpr explicit prepared(const quantize_node&) {}
    };

    static void run(const prepared&, [[maybe_unused]] kernels::target t, const in_element* in, out_element* out) {
      if constexpr (Input::type == dtype::f32) {
        kernels::quantize(t, Input::elements, in, output::quant::scale, output::quant::zero_point, out);
      } else if constexpr (sizeof(in_element) == 1 && sizeof(out_element) == 1) {
        kernels::look_up(t, Input::elements, in, requantization_table<Input, output>, out);
      } else {
        requantize(Input::elements, in, out);
      }
    }
  };
};

template <int In>
struct dequantize_node {
  using op = op::dequantize;
  using inputs = refs<In>;

  /// The op rule (qfence/rules/quantize.hpp) on this node's operand type.
  template <class Input>
  struct rule {
    static constexpr rule_result value = dequantize_rule(describe<Input>(), requested_output<>());
  };

  template <int Index, class Input>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<Input>, producer<Input>>()))
    return true;
  }

  template <int Index, class Input>
  struct typed {
    using output = tensor<dtype::f32, typename Input::shape_type>;
    struct prepared {
      constexpr explicit prepared(const dequantize_node&) {}
    };
    static void run(const prepared&, kernels::target t, const typename Input::element* in, float* out) {
      if constexpr (Input::type == dtype::f16) {
        kernels::dequantize(t, Input::elements, in, 0.0f, 0, out);  // float16 weights carry no scale
      } else {
        kernels::dequantize(t, Input::elements, in, Input::quant::scale, Input::quant::zero_point, out);
      }
    }
  };
};

/// QUANTIZE node `In` to `out<Q, dtype>`: from f32, or requantizing an i8.
template <class Q, dtype D = dtype::i8, int In>
constexpr auto quantize(node_ref<In>) {
  return quantize_node<out_t<Q, D>, In>{};
}

/// DEQUANTIZE node `In` to f32.
template <int In>
constexpr auto dequantize(node_ref<In>) {
  return dequantize_node<In>{};
}

/// Quantizes real values with tensor type T's parameters, exactly as QUANTIZE
/// does: how an application fills a quantized input
/// (`qfence::quantize_into<M::input_type<0>>(image, arena.input<0>())`).
/// Throws std::invalid_argument when the sizes differ.
template <class T>
void quantize_into(std::span<const float> real, std::span<typename T::element> out) {
  static_assert(T::quant::quantized && !T::quant::is_per_channel,
                "qfence::quantize_into<T>: T must be a per-tensor quantized tensor type");
  if (real.size() != out.size())
    throw std::invalid_argument("qfence::quantize_into: " + std::to_string(real.size()) + " values for a tensor of " +
                                std::to_string(out.size()) + " elements");
  reference::quantize(static_cast<std::int64_t>(out.size()), real.data(), T::quant::scale, T::quant::zero_point,
                      out.data());
}

/// The real values a quantized tensor of type T stands for (DEQUANTIZE's
/// arithmetic), e.g. to read a model's output as probabilities.
template <class T>
void dequantize_into(std::span<const typename T::element> quantized, std::span<float> real) {
  static_assert(T::quant::quantized && !T::quant::is_per_channel,
                "qfence::dequantize_into<T>: T must be a per-tensor quantized tensor type");
  if (real.size() != quantized.size())
    throw std::invalid_argument("qfence::dequantize_into: " + std::to_string(quantized.size()) +
                                " values into room for " + std::to_string(real.size()));
  reference::dequantize(static_cast<std::int64_t>(real.size()), quantized.data(), T::quant::scale,
                        T::quant::zero_point, real.data());
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END

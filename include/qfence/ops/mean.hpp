// qfence/ops/mean.hpp: MEAN over a set of axes.
//
// Numerics: float sums then divides; int8 follows TFLite/TFLM
// QuantizedMeanOrSum: an int32 sum of the raw values, the zero point removed
// (sum - zp * n), and one multiplier in_scale / out_scale with 1/n folded in.
#pragma once

#include <array>
#include <bit>
#include <cstdint>

#include "qfence/kernels/reference/mean.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/runtime/op_code.hpp"
#include "qfence/kernels/dispatch.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/mean.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct mean {
  static constexpr const char* name = "mean";
  /// The op in the runtime IR's vocabulary (quant/op_property.hpp keys on it).
  static constexpr runtime::op_code code = runtime::op_code::mean;
};
}  // namespace op


template <class Axes, int In, class... Opts> struct mean_node;
template <int... Axes, int In, class... Opts>
struct mean_node<std::integer_sequence<int, Axes...>, In, Opts...> {
  using op = op::mean;
  using inputs = refs<In>;
  static constexpr std::array<int, sizeof...(Axes)> axes{Axes...};

  static constexpr mean_attrs attrs{static_cast<int>(sizeof...(Axes)), {Axes...},
                                    has_option<option_kind::keep_dims, Opts...>};

  /// The op rule (qfence/rules/mean.hpp) on this node's operand type.
  template <class Input>
  struct rule {
    static constexpr rule_result value = mean_rule(attrs, describe<Input>(), requested_output<Opts...>());
  };

  template <int Index, class Input>
  static constexpr bool validate() {
    static_assert(sizeof...(Axes) <= max_rank, "qfence: mean<axes...>: at most 8 axes");
    QFENCE_REQUIRE_THAT(validate_options<Index, op, kinds<option_kind::keep_dims, option_kind::output_quantization>,
                                         Opts...>::value)
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<Input>, producer<Input>>()))
    return true;
  }

  template <int Index, class Input>
  struct typed {
    using output = rule_output_type<rule<Input>>;
    static constexpr reduce_geometry geometry = make_reduce_geometry(Input::shape_type::dims, axes);
    /// Extra arena bytes this node needs while it runs (the int32 sums).
    static constexpr std::size_t scratch_bytes =
        Input::type == dtype::f32 ? 0 : static_cast<std::size_t>(geometry.out_elements) * sizeof(std::int32_t);

    /// Quantized means run the Highway kernel (kernels/mean-inl.hpp), which
    /// needs the SIMD target.
    struct prepared {
      constexpr explicit prepared(const mean_node&) {}
    };
    static void run(const prepared&, [[maybe_unused]] kernels::target t, const typename Input::element* in,
                    typename output::element* out, [[maybe_unused]] void* scratch) {
      if constexpr (Input::type == dtype::f32) {
        reference::mean(geometry, in, out);
      } else {
        static constexpr quantized_multiplier m = scale_ratio_multiplier(Input::quant::scale, output::quant::scale);
        kernels::mean_quantized(t, geometry, in, Input::quant::zero_point, m, output::quant::zero_point,
                                static_cast<std::int32_t*>(scratch), out);
      }
    }
  };
};

/// MEAN over `Axes...`. Options: keep_dims, out<...> (quantized input).
template <int... Axes, int In, node_option... Opts>
constexpr auto mean(node_ref<In>, Opts...) {
  static_assert(sizeof...(Axes) >= 1, "qfence: mean<axes...>: name at least one axis");
  return mean_node<std::integer_sequence<int, Axes...>, In, Opts...>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END

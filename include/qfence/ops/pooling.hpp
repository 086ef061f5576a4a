// qfence/ops/pooling.hpp: AVERAGE_POOL_2D and MAX_POOL_2D.
//
// Output quantization equals the input's (TFLite requires it). Numerics:
// TFLite reference_ops / reference_integer_ops AveragePool and MaxPool; the
// window is clipped to the input, and an int8 average rounds half away from
// zero.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>

#include "qfence/kernels/reference/pooling.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/runtime/op_code.hpp"
#include "qfence/kernels/dispatch.hpp"
#include "qfence/core/window_geometry.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/pooling.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct average_pool2d {
  static constexpr const char* name = "average_pool2d";
  /// The op in the runtime IR's vocabulary (quant/op_property.hpp keys on it).
  static constexpr runtime::op_code code = runtime::op_code::average_pool_2d;
};
struct max_pool2d {
  static constexpr const char* name = "max_pool2d";
  /// The op in the runtime IR's vocabulary (quant/op_property.hpp keys on it).
  static constexpr runtime::op_code code = runtime::op_code::max_pool_2d;
};
struct l2_pool2d {
  static constexpr const char* name = "l2_pool2d";
  static constexpr runtime::op_code code = runtime::op_code::l2_pool_2d;
};
}  // namespace op


template <class Op, int In, class... Opts>
struct pool2d_node {
  using op = Op;
  using inputs = refs<In>;

  static constexpr pool_attrs attrs = [] {
    using f = option_or<option_kind::filter, filter_t<1>, Opts...>;
    using s = option_or<option_kind::stride, stride_t<1>, Opts...>;
    constexpr bool given = has_option<option_kind::filter, Opts...>;
    return pool_attrs{std::is_same_v<Op, qfence::op::max_pool2d>, given ? f::h : 0, given ? f::w : 0, s::h, s::w,
                      option_or<option_kind::padding, padding_t<padding::valid>, Opts...>::value,
                      detail::fused_activation_of<Opts...>, true, std::is_same_v<Op, qfence::op::l2_pool2d>};
  }();

  /// The op rule (qfence/rules/pooling.hpp) on this node's operand type.
  template <class Input>
  struct rule {
    static constexpr rule_result value = pool2d_rule(attrs, describe<Input>(), requested_output<>());
  };

  template <int Index, class Input>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT(validate_options<Index, op,
                                         kinds<option_kind::filter, option_kind::stride, option_kind::padding,
                                               option_kind::fused_activation>,
                                         Opts...>::value)
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<Input>, producer<Input>>()))
    return true;
  }

  template <int Index, class Input>
  struct typed {
    static constexpr window_geometry geometry = pool_geometry(attrs, describe<Input>());
    using output = rule_output_type<rule<Input>>;
    static constexpr auto act = detail::activation_range_for<output, Opts...>();

    /// 8-bit pools run the Highway kernels (kernels/pool-inl.hpp), which
    /// need the SIMD target.
    struct prepared {
      constexpr explicit prepared(const pool2d_node&) {}
    };
    static void run(const prepared&, kernels::target t, const typename Input::element* in,
                    typename output::element* out) {
      if constexpr (std::is_same_v<Op, qfence::op::l2_pool2d>) {
        reference::l2_pool2d(geometry, in, act, out);
      } else if constexpr (std::is_same_v<Op, qfence::op::average_pool2d>) {
        kernels::average_pool2d(t, kernels::fixed<geometry>{}, in, act, out);
      } else {
        kernels::max_pool2d(t, kernels::fixed<geometry>{}, in, act, out);
      }
    }
  };
};

/// AVERAGE_POOL_2D. Options: filter<h, w> (required), stride<..>, same/valid
/// (default valid), fused_relu...
template <int In, node_option... Opts>
constexpr auto average_pool2d(node_ref<In>, Opts...) {
  return pool2d_node<op::average_pool2d, In, Opts...>{};
}

/// L2_POOL_2D (float); options as average_pool2d.
template <int In, node_option... Opts>
constexpr auto l2_pool2d(node_ref<In>, Opts...) {
  return pool2d_node<op::l2_pool2d, In, Opts...>{};
}

/// MAX_POOL_2D; options as average_pool2d.
template <int In, node_option... Opts>
constexpr auto max_pool2d(node_ref<In>, Opts...) {
  return pool2d_node<op::max_pool2d, In, Opts...>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END

// qfence/ops/softmax.hpp: SOFTMAX over the last dimension.
//
// Numerics: TFLite reference_ops::Softmax. int8: input differences scaled by
// beta into Q5.26, gemmlowp exp, sum in Q12.19, reciprocal by Newton-Raphson;
// output per_tensor<1/256, -128>.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "qfence/kernels/dispatch.hpp"
#include "qfence/kernels/reference/softmax.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/runtime/op_code.hpp"
#include "qfence/core/fixed_point_functions.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/softmax.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct softmax {
  static constexpr const char* name = "softmax";
  /// The op in the runtime IR's vocabulary (quant/op_property.hpp keys on it).
  static constexpr runtime::op_code code = runtime::op_code::softmax;
};
}  // namespace op


template <int In, class... Opts>
struct softmax_node {
  using op = op::softmax;
  using inputs = refs<In>;

  static constexpr float beta = option_or<option_kind::beta, beta_t<1.0f>, Opts...>::value;

  /// The op rule (qfence/rules/softmax.hpp) on this node's operand type.
  template <class Input>
  struct rule {
    static constexpr rule_result value = softmax_rule({beta}, describe<Input>(), requested_output<Opts...>());
  };

  template <int Index, class Input>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT(
        validate_options<Index, op, kinds<option_kind::beta, option_kind::output_quantization>, Opts...>::value)
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<Input>, producer<Input>>()))
    return true;
  }

  template <int Index, class Input>
  struct typed {
    using output = rule_output_type<rule<Input>>;
    static constexpr last_axis_rows rows = rows_along_last_axis(describe<Input>());
    static constexpr int outer = rows.outer, depth = rows.depth;

    /// 8-bit input runs the Highway kernel (kernels/softmax-inl.hpp) with a
    /// table built at compile time; float32 and int16 the reference.
    static constexpr bool simd = Input::type != dtype::f32 && Input::type != dtype::i16;
    /// Stored as the node itself: the graph then hands run() its target.
    using prepared = softmax_node;

    static void run(const prepared& node, [[maybe_unused]] kernels::target t, const typename Input::element* in,
                    typename output::element* out) {
      if constexpr (simd) {
        static constexpr softmax_params p = make_softmax_params(beta, Input::quant::scale);
        static constexpr kernels::softmax_table table = kernels::make_softmax_table(p);
        kernels::softmax_quantized(t, outer, depth, p, table, in, out);
      } else {
        run(node, in, out);
      }
    }

    static void run(const softmax_node&, const typename Input::element* in, typename output::element* out) {
      if constexpr (Input::type == dtype::f32) {
        reference::softmax(outer, depth, beta, in, out);
      } else if constexpr (Input::type == dtype::i16) {
        // std::exp is not constexpr: the tables are built once, on first use.
        static const softmax_int16_params p = make_softmax_int16_params(beta, Input::quant::scale);
        reference::softmax(outer, depth, p, in, out);
      } else {
        static constexpr softmax_params p = make_softmax_params(beta, Input::quant::scale);
        reference::softmax(outer, depth, p, in, out);
      }
    }
  };
};

namespace op {
struct log_softmax {
  static constexpr const char* name = "log_softmax";
  static constexpr runtime::op_code code = runtime::op_code::log_softmax;
};
}  // namespace op

/// LOG_SOFTMAX over the last dimension: f32, or i8/u8 with the fixed output
/// parameters 16/256 and zero point 127 (i8) or 255 (u8).
template <int In>
struct log_softmax_node {
  using op = op::log_softmax;
  using inputs = refs<In>;

  template <class Input>
  struct rule {
    static constexpr rule_result value = log_softmax_rule(describe<Input>(), {});
  };

  template <int Index, class Input>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<Input>, producer<Input>>()))
    return true;
  }

  template <int Index, class Input>
  struct typed {
    using output = rule_output_type<rule<Input>>;
    static constexpr last_axis_rows rows = rows_along_last_axis(describe<Input>());
    static constexpr int outer = rows.outer, depth = rows.depth;
    static void run(const log_softmax_node&, const typename Input::element* in, typename output::element* out) {
      if constexpr (Input::type == dtype::f32) {
        reference::log_softmax(outer, depth, in, out);
      } else {
        static constexpr log_softmax_params p = make_log_softmax_params(Input::quant::scale);
        reference::log_softmax(outer, depth, p, in, out);
      }
    }
  };
};

template <int In>
constexpr auto log_softmax(node_ref<In>) {
  return log_softmax_node<In>{};
}

/// SOFTMAX over the last dimension. Option: beta<b> (default 1).
template <int In, node_option... Opts>
constexpr auto softmax(node_ref<In>, Opts...) {
  return softmax_node<In, Opts...>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END

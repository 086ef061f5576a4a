// qfence/ops/reduce.hpp: the reductions over a set of axes, MEAN, SUM,
// REDUCE_MAX, REDUCE_MIN and REDUCE_ALL, as typed nodes.
//
//   qf::mean<1, 2>(x, qf::keep_dims, qf::out<qf::per_tensor<0.02f, -3>>)
//   qf::sum<-1>(x)            qf::reduce_max<0>(x)      qf::reduce_all<1>(flags)
//
// Numerics (kernels/reference/reduce.hpp): float sums in input order (MEAN
// then divides); int8/int16 follow TFLM's QuantizedMeanOrSum: an int32 sum
// of the raw values, the zero point removed (sum - zp * n), one multiplier
// in_scale / out_scale (MEAN with 1/n folded in). MAX and MIN select raw
// values, so their output keeps the input's parameters.
#pragma once

#include <array>
#include <cstdint>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/dispatch.hpp"
#include "qfence/kernels/reference/reduce.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/reduce.hpp"
#include "qfence/runtime/op_code.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
/// The reductions' tags: `kind` picks the rule's and the kernel's case, `code`
/// is the op in the runtime IR's vocabulary (quant/op_property.hpp keys on it).
#define QFENCE_REDUCTION_TAG(tag, kind_)                              \
  struct tag {                                                       \
    static constexpr const char* name = #tag;                        \
    static constexpr runtime::op_code code = runtime::op_code::tag; \
    static constexpr reduction kind = reduction::kind_;              \
  };
QFENCE_REDUCTION_OPS(QFENCE_REDUCTION_TAG)
#undef QFENCE_REDUCTION_TAG
}  // namespace op

template <class Op, class Axes, int In, class... Opts> struct reduce_node;
template <class Op, int... Axes, int In, class... Opts>
struct reduce_node<Op, std::integer_sequence<int, Axes...>, In, Opts...> {
  using op = Op;
  using inputs = refs<In>;
  static constexpr std::array<int, sizeof...(Axes)> axes{Axes...};

  static constexpr reduce_attrs attrs{static_cast<int>(sizeof...(Axes)), {Axes...},
                                      has_option<option_kind::keep_dims, Opts...>};

  /// The op rule (qfence/rules/reduce.hpp) on this node's operand type.
  template <class Input>
  struct rule {
    static constexpr rule_result value = reduce_rule(Op::kind, attrs, describe<Input>(), requested_output<Opts...>());
  };

  template <int Index, class Input>
  static constexpr bool validate() {
    static_assert(sizeof...(Axes) <= max_rank, "qfence: reductions take at most 8 axes");
    QFENCE_REQUIRE_THAT(validate_options<Index, op, kinds<option_kind::keep_dims, option_kind::output_quantization>,
                                         Opts...>::value)
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<Input>, producer<Input>>()))
    return true;
  }

  template <int Index, class Input>
  struct typed {
    using output = rule_output_type<rule<Input>>;
    static constexpr reduce_geometry geometry = make_reduce_geometry(Input::shape_type::dims, axes);
    static constexpr bool sums_integers =
        (Op::kind == reduction::mean || Op::kind == reduction::sum) && Input::type != dtype::f32;
    /// Extra arena bytes this node needs while it runs (the int32 sums).
    static constexpr std::size_t scratch_bytes =
        sums_integers ? static_cast<std::size_t>(geometry.out_elements) * sizeof(std::int32_t) : 0;

    /// The quantized sums and MAX/MIN run the Highway kernels
    /// (kernels/reduce-inl.hpp), which need the SIMD target.
    struct prepared {
      constexpr explicit prepared(const reduce_node&) {}
    };
    static void run(const prepared&, [[maybe_unused]] kernels::target t, const typename Input::element* in,
                    typename output::element* out, [[maybe_unused]] void* scratch) {
      if constexpr (Op::kind == reduction::all) {
        reference::reduce_all(geometry, in, out);
      } else if constexpr (Op::kind == reduction::max || Op::kind == reduction::min) {
        kernels::reduce_extreme<Op::kind == reduction::max>(t, geometry, in, out);
      } else if constexpr (!sums_integers) {
        if constexpr (Op::kind == reduction::mean) reference::mean(geometry, in, out);
        else reference::sum(geometry, in, out);
      } else {
        static constexpr quantized_multiplier m = scale_ratio_multiplier(Input::quant::scale, output::quant::scale);
        auto* sums = static_cast<std::int32_t*>(scratch);
        if constexpr (Op::kind == reduction::mean)
          kernels::mean_quantized(t, geometry, in, Input::quant::zero_point, m, output::quant::zero_point, sums, out);
        else
          kernels::sum_quantized(t, geometry, in, Input::quant::zero_point, m, output::quant::zero_point, sums, out);
      }
    }
  };
};

template <class Axes, int In, class... Opts>
using mean_node = reduce_node<op::mean, Axes, In, Opts...>;

namespace detail {
template <class Op, int... Axes, int In, node_option... Opts>
constexpr auto reduce_over(node_ref<In>, Opts...) {
  static_assert(sizeof...(Axes) >= 1, "qfence: a reduction (mean, sum, reduce_max, ...) needs at least one axis");
  return reduce_node<Op, std::integer_sequence<int, Axes...>, In, Opts...>{};
}
}  // namespace detail

/// MEAN over `Axes...`. Options: keep_dims, out<...> (quantized input).
template <int... Axes, int In, node_option... Opts>
constexpr auto mean(node_ref<In> x, Opts... o) {
  return detail::reduce_over<op::mean, Axes...>(x, o...);
}
/// SUM over `Axes...`. Options: keep_dims, out<...> (quantized input).
template <int... Axes, int In, node_option... Opts>
constexpr auto sum(node_ref<In> x, Opts... o) {
  return detail::reduce_over<op::sum, Axes...>(x, o...);
}
/// REDUCE_MAX over `Axes...` (the output keeps the input's parameters).
template <int... Axes, int In, node_option... Opts>
constexpr auto reduce_max(node_ref<In> x, Opts... o) {
  return detail::reduce_over<op::reduce_max, Axes...>(x, o...);
}
/// REDUCE_MIN over `Axes...` (the output keeps the input's parameters).
template <int... Axes, int In, node_option... Opts>
constexpr auto reduce_min(node_ref<In> x, Opts... o) {
  return detail::reduce_over<op::reduce_min, Axes...>(x, o...);
}
/// REDUCE_ALL of a bool tensor over `Axes...`.
template <int... Axes, int In, node_option... Opts>
constexpr auto reduce_all(node_ref<In> x, Opts... o) {
  return detail::reduce_over<op::reduce_all, Axes...>(x, o...);
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END

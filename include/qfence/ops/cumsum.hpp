// qfence/ops/cumsum.hpp: CUMSUM as a typed node (rules/cumsum.hpp;
// kernels/reference/cumsum.hpp).
//
//   qf::cumsum<Axis>(x)                              inclusive, forward
//   qf::cumsum<Axis, Exclusive, Reverse>(x, qf::out<...>)   int8 rescaled out
#pragma once

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/cumsum.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/cumsum.hpp"
#include "qfence/runtime/op_code.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct cumsum {
  static constexpr const char* name = "cumsum";
  static constexpr runtime::op_code code = runtime::op_code::cumsum;
};
}  // namespace op

template <int Axis, bool Exclusive, bool Reverse, int In, class... Opts>
struct cumsum_node {
  using op = op::cumsum;
  using inputs = refs<In>;
  static constexpr cumsum_attrs attrs{Axis, Exclusive, Reverse};
  template <class Input>
  struct rule {
    static constexpr rule_result value = cumsum_rule(attrs, describe<Input>(), requested_output<Opts...>());
  };
  template <int Index, class Input>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT(validate_options<Index, op, kinds<option_kind::output_quantization>, Opts...>::value)
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<Input>, producer<Input>>()))
    return true;
  }
  template <int Index, class Input>
  struct typed {
    using output = rule_output_type<rule<Input>>;
    static constexpr cumsum_geometry geometry = make_cumsum_geometry(
        Input::shape_type::dims.data(), static_cast<int>(Input::rank), Axis, Exclusive, Reverse);
    static void run(const cumsum_node&, const typename Input::element* in, typename output::element* out) {
      if constexpr (Input::type == dtype::i8) {
        static constexpr add_n_params p = make_add_n_params(Input::quant::scale, Input::quant::zero_point,
                                                            output::quant::scale, output::quant::zero_point);
        reference::cumsum(geometry, in, p, out);
      } else {
        reference::cumsum(geometry, in, out);
      }
    }
  };
};

/// CUMSUM along `Axis`; Exclusive leaves each element out of its own sum,
/// Reverse sums from the end. Options: out<...> (int8 input).
template <int Axis, bool Exclusive = false, bool Reverse = false, int In, node_option... Opts>
constexpr auto cumsum(node_ref<In>, Opts...) {
  return cumsum_node<Axis, Exclusive, Reverse, In, Opts...>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END

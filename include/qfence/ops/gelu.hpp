// qfence/ops/gelu.hpp: GELU as a typed node (rules/unary.hpp, gelu_rule;
// kernels/reference/gelu.hpp).
//
//   qf::gelu(x)                                     f32, the exact (erfc) form
//   qf::gelu<true>(x)                               the tanh approximation
//   qf::gelu(x, qf::out<qf::per_tensor<...>>)       i8 / u8 / i16 as TFLite's tables
#pragma once

#include <cstdint>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/dispatch.hpp"
#include "qfence/kernels/reference/gelu.hpp"
#include "qfence/kernels/reference/lookup_table.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/unary.hpp"
#include "qfence/runtime/op_code.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct gelu {
  static constexpr const char* name = "gelu";
  static constexpr runtime::op_code code = runtime::op_code::gelu;
};
}  // namespace op

template <int In, bool Approximate, class... Opts>
struct gelu_node {
  using op = op::gelu;
  using inputs = refs<In>;

  template <class Input>
  struct rule {
    static constexpr rule_result value = gelu_rule(describe<Input>(), requested_output<Opts...>());
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
    using T = typename Input::element;
    /// 8-bit tables are looked up on the model's SIMD target.
    struct prepared {
      constexpr explicit prepared(const gelu_node&) {}
    };
    static void run(const prepared&, [[maybe_unused]] kernels::target t, const T* in, typename output::element* out) {
      constexpr gelu_function f = gelu_function_of(Approximate);
      if constexpr (Input::type == dtype::f32) {
        reference::gelu(Input::elements, in, Approximate, out);
      } else {
        // erfc and tanh are not constexpr: the table is built on first use
        // (int16: TFLite's interpolated one).
        static const auto table = [&] {
          if constexpr (Input::type == dtype::i16)
            return make_lookup_table_int16(Input::quant::scale, Input::quant::zero_point, output::quant::scale,
                                           output::quant::zero_point, f);
          else
            return make_lookup_table<T>(Input::quant::scale, Input::quant::zero_point, output::quant::scale,
                                        output::quant::zero_point, f);
        }();
        kernels::look_up(t, Input::elements, in, table, out);
      }
    }
  };
};

/// GELU: exact (erfc) by default, TFLite's tanh approximation with
/// gelu<true>. Quantized inputs take out<...>.
template <bool Approximate = false, int In, node_option... Opts>
constexpr auto gelu(node_ref<In>, Opts...) {
  return gelu_node<In, Approximate, Opts...>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END

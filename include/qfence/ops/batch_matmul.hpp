// qfence/ops/batch_matmul.hpp: BATCH_MATMUL as a typed node
// (rules/batch_matmul.hpp; kernels/reference/batch_matmul.hpp).
//
//   qf::batch_matmul(a, b)                                   f32
//   qf::batch_matmul<true, false>(a, b)                      adj_x: a's last two dims swapped
//   qf::batch_matmul(a, b, qf::out<qf::per_tensor<0.1f, 3>>) i8 / i16
#pragma once

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/batch_matmul.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/batch_matmul.hpp"
#include "qfence/runtime/op_code.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct batch_matmul {
  static constexpr const char* name = "batch_matmul";
  static constexpr runtime::op_code code = runtime::op_code::batch_matmul;
};
}  // namespace op

template <bool AdjX, bool AdjY, int Lhs, int Rhs, class... Opts>
struct batch_matmul_node {
  using op = op::batch_matmul;
  using inputs = refs<Lhs, Rhs>;
  static constexpr batch_matmul_attrs attrs{AdjX, AdjY};

  template <class L, class R>
  struct rule {
    static constexpr rule_result value = batch_matmul_rule(attrs, describe<L>(), describe<R>(), requested_output<Opts...>());
  };

  template <int Index, class L, class R>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT(validate_options<Index, op, kinds<option_kind::output_quantization>, Opts...>::value)
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<L, R>, producer<L>, producer<R>>()))
    return true;
  }

  template <int Index, class L, class R>
  struct typed {
    using output = rule_output_type<rule<L, R>>;
    static constexpr batch_matmul_geometry geometry = make_batch_matmul_geometry(attrs, describe<L>(), describe<R>());
    static void run(const batch_matmul_node&, const typename L::element* lhs, const typename R::element* rhs,
                    typename output::element* out) {
      if constexpr (L::type == dtype::f32) {
        reference::batch_matmul(geometry, lhs, rhs, out);
      } else {
        static constexpr batch_matmul_params p =
            make_batch_matmul_params(L::quant::scale, L::quant::zero_point, R::quant::scale, R::quant::zero_point,
                                     output::quant::scale, output::quant::zero_point);
        reference::batch_matmul(geometry, lhs, rhs, p, out);
      }
    }
  };
};

/// BATCH_MATMUL of [..., M, K] by [..., K, N]; AdjX / AdjY read an operand
/// with its last two dimensions swapped.
template <bool AdjX = false, bool AdjY = false, int L, int R, node_option... Opts>
constexpr auto batch_matmul(node_ref<L>, node_ref<R>, Opts...) {
  return batch_matmul_node<AdjX, AdjY, L, R, Opts...>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END

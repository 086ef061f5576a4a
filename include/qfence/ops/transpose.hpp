// qfence/ops/transpose.hpp: TRANSPOSE reference kernel.
//
// Moves elements, never changes them, so one kernel serves every dtype (it
// is templated on the element's size).
#pragma once

#include <array>
#include <cstdint>
#include <cstring>

#include "qfence/kernels/reference/transpose.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/runtime/op_code.hpp"
#include "qfence/kernels/dispatch.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/transpose.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct transpose {
  static constexpr const char* name = "transpose";
  /// The op in the runtime IR's vocabulary (quant/op_property.hpp keys on it).
  static constexpr runtime::op_code code = runtime::op_code::transpose;
};
}  // namespace op


template <int In, int... Perm>
struct transpose_node {
  using op = op::transpose;
  using inputs = refs<In>;
  static constexpr std::array<int, sizeof...(Perm)> perm{Perm...};

  static constexpr transpose_attrs attrs{static_cast<int>(sizeof...(Perm)), {Perm...}};

  /// The op rule (qfence/rules/transpose.hpp) on this node's operand type.
  template <class Input>
  struct rule {
    static constexpr rule_result value = transpose_rule(attrs, describe<Input>(), requested_output<>());
  };

  template <int Index, class Input>
  static constexpr bool validate() {
    static_assert(sizeof...(Perm) <= max_rank, "qfence: transpose<perm...>: at most 8 dimensions");
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<Input>, producer<Input>>()))
    return true;
  }

  template <int Index, class Input>
  struct typed {
    using output = rule_output_keeping<rule<Input>, Input>;
    static constexpr transpose_geometry geometry =
        make_transpose_geometry(Input::shape_type::dims.data(), static_cast<int>(Input::rank), perm.data());
    static constexpr kernels::interleave_form form = kernels::interleave_form_of(geometry);
    /// Plane interleaving runs the Highway kernel (kernels/transpose-inl.hpp),
    /// which needs the SIMD target.
    struct prepared {
      constexpr explicit prepared(const transpose_node&) {}
    };
    static void run(const prepared&, kernels::target t, const typename Input::element* in,
                    typename output::element* out) {
      kernels::transpose<sizeof(typename Input::element)>(t, geometry, form, in, out);
    }
  };
};

/// TRANSPOSE: output dimension i is input dimension Perm[i].
template <int... Perm, int In>
constexpr auto transpose(node_ref<In>) {
  return transpose_node<In, Perm...>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END

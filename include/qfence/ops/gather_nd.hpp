// qfence/ops/gather_nd.hpp: GATHER_ND, slices of `params` picked by index
// rows.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>

#include "qfence/kernels/reference/gather_nd.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/runtime/op_code.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/gather_nd.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct gather_nd {
  static constexpr const char* name = "gather_nd";
  /// The op in the runtime IR's vocabulary (quant/op_property.hpp keys on it).
  static constexpr runtime::op_code code = runtime::op_code::gather_nd;
};
}  // namespace op


template <int Params, int Indices>
struct gather_nd_node {
  using op = op::gather_nd;
  using inputs = refs<Params, Indices>;

  /// The op rule (qfence/rules/gather_nd.hpp) on this node's operand types.
  template <class P, class I>
  struct rule {
    static constexpr rule_result value = gather_nd_rule(describe<P>(), describe<I>(), requested_output<>());
  };

  template <int Index, class P, class I>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<P, I>, producer<P>, producer<I>>()))
    return true;
  }

  template <int Index, class P, class I>
  struct typed {
    static constexpr int depth = I::shape_type::dim(-1);
    using output = rule_output_keeping<rule<P, I>, P>;
    static constexpr std::int64_t slice_bytes = [] {
      std::int64_t b = static_cast<std::int64_t>(sizeof(typename P::element));
      for (std::size_t i = static_cast<std::size_t>(depth); i < P::rank; ++i) b *= P::shape_type::dims[i];
      return b;
    }();
    static constexpr auto strides = [] {
      std::array<std::int64_t, static_cast<std::size_t>(depth)> s{};
      std::int64_t b = slice_bytes;
      for (int d = depth - 1; d >= 0; --d) {
        s[static_cast<std::size_t>(d)] = b;
        b *= P::shape_type::dims[static_cast<std::size_t>(d)];
      }
      return s;
    }();
    static constexpr auto param_dims = [] {
      std::array<int, static_cast<std::size_t>(depth)> d{};
      for (std::size_t i = 0; i < d.size(); ++i) d[i] = P::shape_type::dims[i];
      return d;
    }();
    static void run(const gather_nd_node&, const typename P::element* params, const typename I::element* indices,
                    typename output::element* out) {
      reference::gather_nd(params, indices, I::elements / depth, depth, param_dims.data(), strides.data(),
                           slice_bytes, out);
    }
  };
};

/// GATHER_ND of `params` at the index rows of `indices`.
template <int P, int I>
constexpr auto gather_nd(node_ref<P>, node_ref<I>) {
  return gather_nd_node<P, I>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END

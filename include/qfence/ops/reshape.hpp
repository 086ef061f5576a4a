// qfence/ops/reshape.hpp: RESHAPE (the data is copied unchanged).
#pragma once

#include <array>
#include <cstring>

#include "qfence/core/exact_float.hpp"
#include "qfence/runtime/op_code.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/reshape.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct reshape {
  static constexpr const char* name = "reshape";
  /// The op in the runtime IR's vocabulary (quant/op_property.hpp keys on it).
  static constexpr runtime::op_code code = runtime::op_code::reshape;
};
}  // namespace op

template <int In, int... Dims>
struct reshape_node {
  using op = op::reshape;
  using inputs = refs<In>;

  static constexpr reshape_attrs attrs{static_cast<int>(sizeof...(Dims)), {Dims...}};

  /// The op rule (qfence/rules/reshape.hpp) on this node's operand type.
  template <class Input>
  struct rule {
    static constexpr rule_result value = reshape_rule(attrs, describe<Input>(), requested_output<>());
  };

  template <int Index, class Input>
  static constexpr bool validate() {
    static_assert(sizeof...(Dims) <= max_rank, "qfence: reshape<dims...>: at most 8 dimensions");
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<Input>, producer<Input>>()))
    return true;
  }

  template <int Index, class Input>
  struct typed {
    using output = rule_output_keeping<rule<Input>, Input>;
    static void run(const reshape_node&, const typename Input::element* in, typename output::element* out) {
      if (static_cast<const void*>(in) != static_cast<void*>(out)) std::memcpy(out, in, Input::bytes);
    }
  };
};

/// RESHAPE to `Dims...` (one of them may be -1).
template <int... Dims, int In>
constexpr auto reshape(node_ref<In>) {
  return reshape_node<In, Dims...>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END

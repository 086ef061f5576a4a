// qfence/ops/fill.hpp: SHAPE, FILL and ZEROS_LIKE as typed nodes
// (rules/fill.hpp; kernels/reference/fill.hpp).
//
//   qf::shape_of<qf::i32>(x)     x's dimensions          (SHAPE; qf::shape is the shape type)
//   qf::fill<2, 3>(value)        a scalar in shape [2, 3]
//   qf::zeros_like(x)            zero bytes in x's type
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/fill.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/fill.hpp"
#include "qfence/runtime/op_code.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct shape {
  static constexpr const char* name = "shape";
  static constexpr runtime::op_code code = runtime::op_code::shape;
};
struct fill {
  static constexpr const char* name = "fill";
  static constexpr runtime::op_code code = runtime::op_code::fill;
};
struct zeros_like {
  static constexpr const char* name = "zeros_like";
  static constexpr runtime::op_code code = runtime::op_code::zeros_like;
};
}  // namespace op

template <dtype IndexType, int In>
struct shape_of_node {
  using op = op::shape;
  using inputs = refs<In>;
  template <class Input>
  struct rule {
    static constexpr rule_result value = shape_rule(describe<Input>(), {true, true, IndexType, {}, false, {}});
  };
  template <int Index, class Input>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<Input>, producer<Input>>()))
    return true;
  }
  template <int Index, class Input>
  struct typed {
    using output = rule_output_type<rule<Input>>;
    static void run(const shape_of_node&, const typename Input::element*, typename output::element* out) {
      reference::shape_of(Input::shape_type::dims.data(), static_cast<int>(Input::shape_type::rank), out);
    }
  };
};

template <class Dims, int In> struct fill_node;
template <int... Dims, int In>
struct fill_node<std::integer_sequence<int, Dims...>, In> {
  using op = op::fill;
  using inputs = refs<In>;
  static constexpr fill_attrs attrs{static_cast<int>(sizeof...(Dims)), {Dims...}};
  template <class Value>
  struct rule {
    static constexpr rule_result value = fill_rule(attrs, describe<Value>(), requested_output<>());
  };
  template <int Index, class Value>
  static constexpr bool validate() {
    static_assert(sizeof...(Dims) <= max_rank, "qfence: fill<dims...>: at most 8 dimensions");
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<Value>, producer<Value>>()))
    return true;
  }
  template <int Index, class Value>
  struct typed {
    using output = rule_output_type<rule<Value>>;
    static void run(const fill_node&, const typename Value::element* value, typename output::element* out) {
      reference::fill(output::elements, value, out);
    }
  };
};

template <int In>
struct zeros_like_node {
  using op = op::zeros_like;
  using inputs = refs<In>;
  template <class Input>
  struct rule {
    static constexpr rule_result value = zeros_like_rule(describe<Input>(), requested_output<>());
  };
  template <int Index, class Input>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<Input>, producer<Input>>()))
    return true;
  }
  template <int Index, class Input>
  struct typed {
    using output = rule_output_type<rule<Input>>;
    static void run(const zeros_like_node&, const typename Input::element*, typename output::element* out) {
      reference::zeros(static_cast<std::size_t>(output::elements) * sizeof(typename output::element), out);
    }
  };
};

/// SHAPE: the dimensions of x, as i32 (TFLM) or i64.
template <dtype IndexType = dtype::i32, int In>
constexpr auto shape_of(node_ref<In>) {
  return shape_of_node<IndexType, In>{};
}
/// FILL: the scalar `value` repeated in shape [Dims...].
template <int... Dims, int In>
constexpr auto fill(node_ref<In>) {
  return fill_node<std::integer_sequence<int, Dims...>, In>{};
}
/// ZEROS_LIKE: zero bytes in x's dtype, quantization and shape.
template <int In>
constexpr auto zeros_like(node_ref<In>) {
  return zeros_like_node<In>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END

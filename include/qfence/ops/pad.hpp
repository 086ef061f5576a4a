// qfence/ops/pad.hpp: PAD with constant zero (the zero point for int8), and
// PADV2 with a given value:
//
//   qf::pad<0,0, 1,1, 1,1, 0,0>(x)          PAD
//   qf::pad<0,0, 1,1, 1,1, 0,0>(x, value)   PADV2 (value: one element of x's type)
//   qf::mirror_pad<qf::mirror_mode::reflect, 0,0, 2,2>(x)   MIRROR_PAD
#pragma once

#include <array>
#include <cstdint>

#include "qfence/kernels/pad.hpp"
#include "qfence/kernels/reference/pad.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/runtime/op_code.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/pad.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct pad {
  static constexpr const char* name = "pad";
  /// The op in the runtime IR's vocabulary (quant/op_property.hpp keys on it).
  static constexpr runtime::op_code code = runtime::op_code::pad;
};
struct padv2 {
  static constexpr const char* name = "padv2";
  static constexpr runtime::op_code code = runtime::op_code::padv2;
};
struct mirror_pad {
  static constexpr const char* name = "mirror_pad";
  static constexpr runtime::op_code code = runtime::op_code::mirror_pad;
};
}  // namespace op


template <int In, int... BeforeAfter>
struct pad_node {
  using op = op::pad;
  using inputs = refs<In>;
  static constexpr std::array<int, sizeof...(BeforeAfter)> amounts{BeforeAfter...};

  static constexpr pad_attrs attrs = [] {
    pad_attrs a;
    a.pairs = sizeof...(BeforeAfter) % 2 == 0 && sizeof...(BeforeAfter) / 2 <= max_rank
                  ? static_cast<int>(sizeof...(BeforeAfter) / 2)
                  : -1;
    for (int d = 0; d < a.pairs; ++d) {
      a.before[static_cast<std::size_t>(d)] = amounts[static_cast<std::size_t>(2 * d)];
      a.after[static_cast<std::size_t>(d)] = amounts[static_cast<std::size_t>(2 * d + 1)];
    }
    return a;
  }();

  /// The op rule (qfence/rules/pad.hpp) on this node's operand type.
  template <class Input>
  struct rule {
    static constexpr rule_result value = pad_rule(attrs, describe<Input>(), requested_output<>());
  };

  template <int Index, class Input>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<Input>, producer<Input>>()))
    return true;
  }

  template <int Index, class Input>
  struct typed {
    static constexpr std::size_t rank = Input::rank;
    static constexpr auto before = [] { std::array<int, rank> b{}; for (std::size_t d = 0; d < rank; ++d) b[d] = amounts[2 * d]; return b; }();
    static constexpr auto after = [] { std::array<int, rank> a{}; for (std::size_t d = 0; d < rank; ++d) a[d] = amounts[2 * d + 1]; return a; }();
    using output = rule_output_keeping<rule<Input>, Input>;

    static void run(const pad_node&, const typename Input::element* in, typename output::element* out) {
      typename Input::element value{};
      if constexpr (Input::quant::quantized) value = static_cast<typename Input::element>(Input::quant::zero_point);
      kernels::pad(static_cast<int>(rank), Input::shape_type::dims.data(), before.data(), after.data(), in, value, out);
    }
  };
};

/// PADV2: PAD with the value node V's one element.
template <int In, int V, int... BeforeAfter>
struct padv2_node {
  using op = op::padv2;
  using inputs = refs<In, V>;
  static constexpr pad_attrs attrs = pad_node<In, BeforeAfter...>::attrs;

  template <class Input, class Value>
  struct rule {
    static constexpr rule_result value = padv2_rule(attrs, describe<Input>(), describe<Value>(), requested_output<>());
  };

  template <int Index, class Input, class Value>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<Input, Value>, producer<Input>, producer<Value>>()))
    return true;
  }

  template <int Index, class Input, class Value>
  struct typed {
    using padded = typename pad_node<In, BeforeAfter...>::template typed<Index, Input>;
    using output = rule_output_keeping<rule<Input, Value>, Input>;
    static void run(const padv2_node&, const typename Input::element* in, const typename Value::element* value,
                    typename output::element* out) {
      kernels::pad(static_cast<int>(Input::rank), Input::shape_type::dims.data(), padded::before.data(),
                   padded::after.data(), in, *value, out);
    }
  };
};

/// MIRROR_PAD: PAD's amounts, filled with the input's mirrored values.
template <int In, mirror_mode Mode, int... BeforeAfter>
struct mirror_pad_node {
  using op = op::mirror_pad;
  using inputs = refs<In>;
  static constexpr pad_attrs attrs = pad_node<In, BeforeAfter...>::attrs;
  template <class Input>
  struct rule {
    static constexpr rule_result value = mirror_pad_rule(attrs, Mode, describe<Input>(), requested_output<>());
  };
  template <int Index, class Input>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<Input>, producer<Input>>()))
    return true;
  }
  template <int Index, class Input>
  struct typed {
    using padded = typename pad_node<In, BeforeAfter...>::template typed<Index, Input>;
    using output = rule_output_keeping<rule<Input>, Input>;
    static void run(const mirror_pad_node&, const typename Input::element* in, typename output::element* out) {
      reference::mirror_pad(static_cast<int>(Input::rank), Input::shape_type::dims.data(), padded::before.data(),
                            padded::after.data(), mirror_offset(Mode), in, out);
    }
  };
};

/// MIRROR_PAD by (before, after) pairs: mirror_pad<mirror_mode::reflect, 0,0, 2,2>(x).
template <mirror_mode Mode, int... BeforeAfter, int In>
constexpr auto mirror_pad(node_ref<In>) {
  return mirror_pad_node<In, Mode, BeforeAfter...>{};
}

/// PAD by (before, after) pairs, one per dimension: pad<0,0, 1,1, 1,1, 0,0>(x).
template <int... BeforeAfter, int In>
constexpr auto pad(node_ref<In>) {
  return pad_node<In, BeforeAfter...>{};
}
/// PADV2: the same, padding with `value`'s one element.
template <int... BeforeAfter, int In, int V>
constexpr auto pad(node_ref<In>, node_ref<V>) {
  return padv2_node<In, V, BeforeAfter...>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END

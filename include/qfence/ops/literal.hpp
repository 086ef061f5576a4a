// qfence/ops/literal.hpp: a constant tensor used where an op expects a node.
//
// TFLite ops may take a constant as an ordinary operand (ADD of a learned
// offset, CONCATENATION with a constant block). The typed graph's ops read
// nodes, so the constant becomes a node: it writes its data into the arena
// each invoke (these constants are small; weights stay constants).
#pragma once

#include <cstring>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/constant.hpp"
#include "qfence/graph/node_ref.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct literal {
  static constexpr const char* name = "literal";
};
}  // namespace op

template <class T>
struct literal_node {
  using op = op::literal;
  using inputs = refs<>;
  constant<T> value;

  template <int Index>
  static constexpr bool validate() {
    return true;
  }
  template <int Index>
  struct typed {
    using output = T;
    static void run(const literal_node& self, typename T::element* out) {
      std::memcpy(out, self.value.data, T::bytes);
    }
  };
};

/// A node whose output is the constant `value`.
template <class T>
constexpr auto literal(constant<T> value) {
  return literal_node<T>{value};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END

// qfence/graph/input.hpp: a graph input.
#pragma once

#include "qfence/core/tensor_type.hpp"
#include "qfence/graph/node_ref.hpp"

namespace qfence {

namespace op {
struct input {
  static constexpr const char* name = "input";
};
}  // namespace op

/// A graph input of type `T`; the application writes it through
/// `model.operand<k>(arena)` before `invoke`.
template <class T>
struct input_node {
  static_assert(is_tensor_v<T>, "qfence: operand<T>: T must be a qfence::tensor<...>");
  using op = op::input;
  using inputs = refs<>;
  template <int Index>
  static constexpr bool validate() {
    return true;
  }
  template <int Index>
  struct typed {
    using output = T;
    static void run(const input_node&, typename T::element*) {}
  };
};

template <class T>
constexpr input_node<T> input() {
  return {};
}

}  // namespace qfence

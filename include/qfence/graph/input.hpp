// qfence/graph/input.hpp: a graph input.
#pragma once

#include "qfence/core/exact_float.hpp"
#include "qfence/core/tensor_type.hpp"
#include "qfence/graph/node_ref.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct input {
  static constexpr const char* name = "input";
};
}  // namespace op

/// Opts an input into sharing its memory: the planner may reuse its bytes
/// once its last reader has run, so the arena is smaller but the input must
/// be written again before every `invoke` (see `qfence::input`).
struct overwritable_t {
  explicit constexpr overwritable_t() = default;
};
inline constexpr overwritable_t overwritable{};

/// A graph input of type `T`; the application writes it through
/// `arena.input<K>()` before `invoke`. Unless `Overwritable`, its bytes are
/// the input's alone: it survives `invoke`, as TFLite's and TFLM's inputs do,
/// so the same input can be run again.
template <class T, bool Overwritable = false>
struct input_node {
  static_assert(is_tensor_v<T>, "qfence: input<T>: T must be a qfence::tensor<...>");
  using op = op::input;
  using inputs = refs<>;
  static constexpr bool overwritable = Overwritable;
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

/// Input of type `T`, kept intact by `invoke`.
template <class T>
constexpr input_node<T> input() {
  return {};
}
/// Input of type `T` whose memory later nodes may reuse:
/// `qf::input<T>(qf::overwritable)`.
template <class T>
constexpr input_node<T, true> input(overwritable_t) {
  return {};
}

namespace detail {
template <class N> struct is_input_node : std::false_type {};
template <class T, bool O> struct is_input_node<input_node<T, O>> : std::true_type {};
template <class N> struct is_overwritable_input : std::false_type {};
template <class T> struct is_overwritable_input<input_node<T, true>> : std::true_type {};
}  // namespace detail

}  // namespace qfence

QFENCE_EXACT_FLOAT_END

// qfence/graph/state.hpp: state that persists between invocations.
//
// Some ops keep a memory of earlier inputs (SVDF's activation state). A
// state node owns an arena buffer that lives for the whole life of the
// arena: invoke() does not touch it except through the op that updates it in
// place, and model::reset_state(arena) sets it to its initial value (the
// model's data, or real zero: the zero point). Call reset_state once before
// the first invoke, and again to start a new sequence.
#pragma once

#include <array>
#include <cstddef>
#include <cstring>
#include <type_traits>
#include <utility>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/constant.hpp"
#include "qfence/graph/node_ref.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct state {
  static constexpr const char* name = "state";
};
}  // namespace op

namespace detail {
/// Writes real zero into a tensor of type T: its zero point, or 0 when it is
/// not quantized (what a state starts from without initial data).
template <class T>
void fill_real_zero(typename T::element* buffer) noexcept {
  typename T::element zero{};
  if constexpr (T::quant::quantized) zero = static_cast<typename T::element>(T::quant::zero_point_at(0));
  for (std::int64_t i = 0; i < T::elements; ++i) buffer[i] = zero;
}
}  // namespace detail

template <class T>
struct state_node {
  using op = op::state;
  using inputs = refs<>;
  const typename T::element* initial = nullptr;  // or real zero

  template <int Index>
  static constexpr bool validate() {
    return true;
  }
  template <int Index>
  struct typed {
    using output = T;
    static void run(const state_node&, typename T::element*) {}  // updated by its op, reset by reset_state
  };

  void reset(typename T::element* buffer) const noexcept {
    if (initial != nullptr) std::memcpy(buffer, initial, T::bytes);
    else detail::fill_real_zero<T>(buffer);
  }
};

/// A state tensor starting at real zero.
template <class T>
constexpr auto state() {
  return state_node<T>{};
}
/// A state tensor starting at `initial`.
template <class T>
constexpr auto state(constant<T> initial) {
  return state_node<T>{initial.data};
}

namespace detail {
template <class N> struct is_state_node : std::false_type {};
template <class T> struct is_state_node<state_node<T>> : std::true_type {};

/// For each node of model M, the node that updates it in place as a state
/// (SVDF's memory, an LSTM's hidden or cell state), or -1: StateOf<N>::value
/// is the state node that a node of type N updates, -1 for none.
template <class M, template <class> class StateOf>
inline constexpr std::array<int, static_cast<std::size_t>(M::node_count)> state_updater = [] {
  std::array<int, static_cast<std::size_t>(M::node_count)> updater{};
  updater.fill(-1);
  [&]<int... J>(std::integer_sequence<int, J...>) {
    (
        [&] {
          if constexpr (constexpr int s = StateOf<typename M::template node_t<J>>::value; s >= 0)
            updater[static_cast<std::size_t>(s)] = J;
        }(),
        ...);
  }(std::make_integer_sequence<int, M::node_count>{});
  return updater;
}();
}  // namespace detail

}  // namespace qfence

QFENCE_EXACT_FLOAT_END

// qfence/ops/lstm.hpp: UNIDIRECTIONAL_SEQUENCE_LSTM as a typed node
// (rules/lstm.hpp; kernels/reference/lstm.hpp), TFLM's three variants.
//
//   auto h = qf::state<Hidden>();   // node h: [B, S], the input's dtype
//   auto c = qf::state<Cell>();     // node c: [B, S], f32 or i16
//   qf::unidirectional_sequence_lstm<TimeMajor>(qf::ref<x>, qf::ref<h>, qf::ref<c>,
//       cell_clip,                                  // 0: no clipping
//       w_input, w_forget, w_cell, w_output,        // [S, I] constants
//       r_input, r_forget, r_cell, r_output,        // [S, S] constants
//       b_input, b_forget, b_cell, b_output)        // [S] constants
//
// The hidden and cell states are state nodes this op updates in place
// (model::reset_state starts them at real zero); the output is the hidden
// state after each step, [B, T, S] ([T, B, S] time major).
#pragma once

#include <cstddef>
#include <cstdint>
#include <tuple>
#include <utility>
#include <type_traits>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/lstm.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/lstm.hpp"
#include "qfence/runtime/op_code.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct unidirectional_sequence_lstm {
  static constexpr const char* name = "unidirectional_sequence_lstm";
  static constexpr runtime::op_code code = runtime::op_code::unidirectional_sequence_lstm;
};
}  // namespace op

/// C...: the 8 weights (input, forget, cell, output gates; then the same
/// gates' recurrent weights) and the 4 biases, as qfence::constant<T>.
template <int In, int Hidden, int Cell, bool TimeMajor, class... C>
struct lstm_node {
  static_assert(sizeof...(C) == 12, "qfence: unidirectional_sequence_lstm takes 8 weights and 4 biases");
  using op = op::unidirectional_sequence_lstm;
  using inputs = refs<In, Hidden, Cell>;
  std::tuple<C...> operands;
  float cell_clip = 0.0f;

  template <int K> using operand_t = typename std::tuple_element_t<static_cast<std::size_t>(K), std::tuple<C...>>::type;

  /// What the kernels read (kernels/reference/lstm.hpp), with input `in`;
  /// calibration replays the float LSTM on the same operands.
  template <class Act, class Weight, class Bias>
  constexpr lstm_operands<Act, Weight, Bias> operands_with(const Act* in) const noexcept {
    lstm_operands<Act, Weight, Bias> x{};
    x.input = in;
    [&]<int... K>(std::integer_sequence<int, K...>) {
      ((x.input_weights[K] = std::get<K>(operands).data), ...);
      ((x.recurrent_weights[K] = std::get<4 + K>(operands).data), ...);
      ((x.bias[K] = std::get<8 + K>(operands).data), ...);
    }(std::make_integer_sequence<int, 4>{});
    return x;
  }

  template <class Input, class H, class Cl>
  struct rule {
    static constexpr lstm_descs descs() noexcept {
      lstm_descs d;
      d.input = describe<Input>();
      [&]<int... K>(std::integer_sequence<int, K...>) {
        ((d.weights[K] = describe<operand_t<K>>()), ...);
        ((d.bias[K] = describe<operand_t<8 + K>>()), ...);
      }(std::make_integer_sequence<int, 4>{});
      [&]<int... K>(std::integer_sequence<int, K...>) {
        ((d.weights[4 + K] = describe<operand_t<4 + K>>()), ...);
      }(std::make_integer_sequence<int, 4>{});
      d.hidden = describe<H>();
      d.cell = describe<Cl>();
      return d;
    }
    /// The rule numbers operands as the model's inputs; the node's are the
    /// input, the two states, the 8 weights and the 4 biases.
    static constexpr rule_result renumbered(rule_result r) noexcept {
      if (r.operand == lstm_hidden_operand) r.operand = 1;
      else if (r.operand == lstm_cell_operand) r.operand = 2;
      else if (r.operand >= 1 && r.operand <= 8) r.operand += 2;
      else if (r.operand >= 12 && r.operand <= 15) r.operand -= 1;
      return r;
    }
    static constexpr rule_result value = renumbered(lstm_rule({TimeMajor}, descs(), requested_output<>()));
  };

  template <int Index, class Input, class H, class Cl>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT(([]<int... K>(std::integer_sequence<int, K...>) {
      return check_rule<Index, op, rule<Input, H, Cl>, producer<Input>, producer<H>, producer<Cl>,
                        std::conditional_t<(K < 8), weights<operand_t<K>>, bias<operand_t<K>>>...>();
    }(std::make_integer_sequence<int, 12>{})))
    return true;
  }

  template <int Index, class Input, class H, class Cl>
  struct typed {
    using output = rule_output_type<rule<Input, H, Cl>>;
    static constexpr lstm_geometry geometry = lstm_geometry_of(describe<Input>(), describe<H>(), TimeMajor);
    using cell_element = typename Cl::element;
    static constexpr std::size_t scratch_bytes =
        4 * static_cast<std::size_t>(geometry.batches) * static_cast<std::size_t>(geometry.units) * sizeof(cell_element);

    /// The states belong to their state nodes; the LSTM is the op that updates them.
    static void run(const lstm_node& self, const typename Input::element* in, const typename H::element* hidden,
                    const cell_element* cell, typename output::element* out, void* scratch) {
      auto* h = const_cast<typename H::element*>(hidden);
      auto* c = const_cast<cell_element*>(cell);
      if constexpr (Input::type == dtype::f32) {
        reference::lstm_float(geometry, self.cell_clip, self.template operands_with<float, float, float>(in), h, c,
                              static_cast<float*>(scratch), out);
      } else {
        using Bias = typename operand_t<8>::element;
        // TFLM's parameters, formed as it forms them (CheckedLog2 takes logf,
        // which is not constexpr): a few dozen operations per invoke.
        const lstm_params p = make_lstm_params(lstm_scales_of(rule<Input, H, Cl>::descs(), self.cell_clip));
        reference::lstm_integer<typename Input::element, Bias>(
            geometry, p, self.template operands_with<typename Input::element, std::int8_t, Bias>(in), h, c,
            static_cast<std::int16_t*>(scratch), out);
      }
    }
  };
};

namespace detail {
/// What an LSTM node reads, for those who rebuild or observe it (the
/// compile-time quantizer and calibration).
template <class N> struct lstm_node_parts {
  static constexpr bool is_lstm = false;
  static constexpr int hidden = -1, cell = -1;
};
template <int In, int Hidden, int Cell, bool TimeMajor, class... C>
struct lstm_node_parts<lstm_node<In, Hidden, Cell, TimeMajor, C...>> {
  static constexpr bool is_lstm = true;
  static constexpr int input = In, hidden = Hidden, cell = Cell;
  static constexpr bool time_major = TimeMajor;
  template <int K> using operand_t = typename lstm_node<In, Hidden, Cell, TimeMajor, C...>::template operand_t<K>;
  template <class... Cq>
  static constexpr auto make(float cell_clip, Cq... operands) {
    return lstm_node<In, Hidden, Cell, TimeMajor, Cq...>{{operands...}, cell_clip};
  }
};

/// The state nodes an LSTM node N updates (-1: N is no LSTM; a fenced
/// LSTM is not an LSTM node here, its states stay float with it), for
/// state_updater (graph/state.hpp).
template <class N> struct lstm_hidden_state : std::integral_constant<int, lstm_node_parts<N>::hidden> {};
template <class N> struct lstm_cell_state : std::integral_constant<int, lstm_node_parts<N>::cell> {};

}  // namespace detail

/// UNIDIRECTIONAL_SEQUENCE_LSTM of node `In`, updating state nodes `Hidden`
/// and `Cell`; see the top of this header.
template <bool TimeMajor, int In, int Hidden, int Cell, class... C>
  requires(sizeof...(C) == 12 && (is_constant_v<C> && ...))
constexpr auto unidirectional_sequence_lstm(node_ref<In>, node_ref<Hidden>, node_ref<Cell>, float cell_clip,
                                            C... operands) {
  return lstm_node<In, Hidden, Cell, TimeMajor, C...>{{operands...}, cell_clip};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END

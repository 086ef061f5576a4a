// qfence/ops/circular_buffer.hpp: CIRCULAR_BUFFER (TFLM's custom op for
// strided streaming models) as a typed node (rules/circular_buffer.hpp;
// kernels/reference/circular_buffer.hpp).
//
//   auto count = qf::state<qf::circular_buffer_count>();   // node c
//   qf::circular_buffer<Slots, Period>(qf::ref<x>, qf::ref<c>)
//
// The node's output is the register of the last `Slots` samples of x
// ([1, 1, W, D] i8 each): it lives across invokes (model::reset_state sets
// it to real zero, as TFLM resets the variable). The count node holds the
// invokes since the last one that went on; every `Period`-th invoke goes on
// to the nodes after this one, the others end there (invoke returns
// invoke_status::ended_early).
#pragma once

#include <cstdint>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/circular_buffer.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/circular_buffer.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct circular_buffer {
  static constexpr const char* name = "circular_buffer";  // a TFLM custom op: no builtin code
};
}  // namespace op

/// The type of a circular buffer's count node: qf::state<circular_buffer_count>().
using circular_buffer_count = tensor<dtype::i32, shape<1>>;

template <int In, int Count, int Slots, int Period>
struct circular_buffer_node {
  using op = op::circular_buffer;
  using inputs = refs<In, Count>;
  /// The output is the register: it persists, and model::reset_state sets
  /// it to real zero (the zero point), as TFLM resets the variable.
  static constexpr bool keeps_output = true;
  static constexpr circular_buffer_attrs attrs{Slots, Period};

  template <class Input>
  struct rule {
    static constexpr rule_result value = circular_buffer_rule(attrs, describe<Input>(), requested_output<>());
  };

  template <int Index, class Input, class C>
  static constexpr bool validate() {
    QFENCE_REQUIRE((std::is_same_v<C, circular_buffer_count>), (at_node<Index, op>, operand<1>, producer<C>),
                   "qfence: circular_buffer's operand 1 is its count of invokes, a state node of its own. fix: "
                   "qfence::state<qfence::circular_buffer_count>() as a node of its own, passed by ref")
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<Input>, producer<Input>>()))
    return true;
  }

  template <int Index, class Input, class C>
  struct typed {
    using output = rule_output_type<rule<Input>>;
    /// false: this invoke ends here (not the Period-th since the last run).
    static bool run(const circular_buffer_node&, const std::int8_t* in, const std::int32_t* count,
                    std::int8_t* out) noexcept {
      // The count belongs to its state node; this is the op that updates it.
      return reference::circular_buffer_step(in, out, Slots, Input::shape_type::dim(2) * Input::shape_type::dim(3),
                                             *const_cast<std::int32_t*>(count), Period);
    }
  };

};

/// CIRCULAR_BUFFER of node `In` with count node `Count`: the last `Slots`
/// samples, going on every `Period` invokes.
template <int Slots, int Period, int In, int Count>
constexpr auto circular_buffer(node_ref<In>, node_ref<Count>) {
  return circular_buffer_node<In, Count, Slots, Period>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END

// qfence/ops/signal/framing.hpp: the streaming ops of TFLM's signal library
// as typed nodes (rules/signal/framing.hpp;
// kernels/reference/signal/framing.hpp). Their samples live in state nodes
// of their own, passed by ref, which model::reset_state zeroes (TFLM's
// Reset):
//
//   auto s = qf::state<qf::signal_delay_state<X, D>>();                       // node s
//   qf::signal_delay<D>(qf::ref<x>, qf::ref<s>)
//
//   auto q = qf::state<qf::signal_framer_queue<X, Size, Step>>();             // node q
//   auto c = qf::state<qf::signal_framer_counts<X>>();                        // node c
//   qf::signal_framer<Size, Step, Prefill>(qf::ref<x>, qf::ref<q>, qf::ref<c>)   // node f: the frames
//   qf::signal_valid_flag<qf::signal_framer_counts<X>::elements - 1>(qf::ref<c>, qf::ref<f>)   // bool
//
//   auto q = qf::state<qf::signal_stacker_queue<C, L, R>>();                  // node q
//   auto c = qf::state<qf::signal_stacker_counts>();                          // node c
//   qf::signal_stacker<C, L, R, Step>(qf::ref<x>, qf::ref<q>, qf::ref<c>)     // node k: the stack
//   qf::signal_valid_flag<2>(qf::ref<c>, qf::ref<k>)                          // bool
//
//   auto s = qf::state<qf::signal_overlap_add_state<X>>();                    // node s
//   qf::signal_overlap_add<Step>(qf::ref<x>, qf::ref<s>)                      // i16 or f32
//
// Framer's and Stacker's outputs keep their bytes on an invoke that does
// not complete them (TFLM leaves the tensor as it was); the valid-flag node
// reads the op's count state after the op (its second operand orders it).
#pragma once

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/typed_storage.hpp"
#include "qfence/kernels/reference/signal/framing.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/signal/framing.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct signal_delay {
  static constexpr const char* name = "signal_delay";  // TFLM custom ops: no builtin code
};
struct signal_framer {
  static constexpr const char* name = "signal_framer";
};
struct signal_stacker {
  static constexpr const char* name = "signal_stacker";
};
struct signal_overlap_add {
  static constexpr const char* name = "signal_overlap_add";
};
struct signal_valid_flag {
  static constexpr const char* name = "signal_valid_flag";
};
}  // namespace op

namespace detail {
/// Rows of an operand: its elements over its last dimension (1 for shapes
/// the ops' rules refuse, so that a state type never fails to form before
/// the rule says what is wrong).
template <class X>
constexpr int signal_rows() noexcept {
  if constexpr (X::rank == 0) {
    return 1;
  } else {
    constexpr int last = X::shape_type::dim(static_cast<int>(X::rank) - 1);
    return last > 0 ? std::max(1, static_cast<int>(X::elements / last)) : 1;
  }
}
/// Frames per row of an overlap-add operand [..., n, size].
template <class X>
constexpr int signal_frames() noexcept {
  if constexpr (X::rank < 2) return 1;
  else return std::max(1, X::shape_type::dim(static_cast<int>(X::rank) - 2));
}
/// Framer's ring: frame_size rounded up to whole steps.
constexpr int signal_framer_capacity(int size, int step) noexcept {
  return step > 0 && size > 0 ? (size + step - 1) / step * step : 1;
}
}  // namespace detail

/// The state types.
template <class X, int Delay>
using signal_delay_state = tensor<dtype::i16, shape<std::max(1, detail::signal_rows<X>() * Delay)>>;
template <class X, int Size, int Step>
using signal_framer_queue =
    tensor<dtype::i16, shape<detail::signal_rows<X>() * detail::signal_framer_capacity(Size, Step)>>;
/// Queued samples per row (less the prefill), then the last invoke's valid flag.
template <class X>
using signal_framer_counts = tensor<dtype::i32, shape<detail::signal_rows<X>() + 1>>;
template <int Channels, int Left, int Right>
using signal_stacker_queue = tensor<dtype::i16, shape<std::max(1, Channels * (Left + Right + 1))>>;
/// Frames held, whether a first frame came, the last invoke's valid flag.
using signal_stacker_counts = tensor<dtype::i32, shape<3>>;
/// One frame per row of [..., n, size]: [rows / n * size].
template <class X>
using signal_overlap_add_state =
    tensor<X::type, shape<std::max(1, detail::signal_rows<X>() / detail::signal_frames<X>() *
                                          (X::rank == 0 ? 1 : X::shape_type::dim(static_cast<int>(X::rank) - 1)))>>;

#define QFENCE_DETAIL_REQUIRE_STATE(op_name, k, Given, Wanted, what, state_type)                                     \
  QFENCE_REQUIRE((std::is_same_v<Given, Wanted>), (at_node<Index, op>, operand<k>, producer<Given>),             \
                 "qfence: " op_name "'s operand " #k " is its " what ", a state node of its own. fix: "            \
                 "qfence::state<qfence::" state_type ">() as a node of its own, passed by ref")

template <int Delay, int X, int State>
struct signal_delay_node {
  using op = op::signal_delay;
  using inputs = refs<X, State>;
  static constexpr signal_delay_attrs attrs{Delay};

  template <class In>
  struct rule {
    static constexpr rule_result value = signal_delay_rule(attrs, describe<In>(), requested_output<>());
  };

  template <int Index, class In, class S>
  static constexpr bool validate() {
    using state_t = signal_delay_state<In, Delay>;
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<In>, producer<In>>()))
    QFENCE_DETAIL_REQUIRE_STATE("signal_delay", 1, S, state_t, "delayed samples", "signal_delay_state<Input, Delay>")
    return true;
  }

  template <int Index, class In, class S>
  struct typed {
    using output = rule_output_type<rule<In>>;
    static constexpr std::int64_t frame = In::shape_type::dim(static_cast<int>(In::rank) - 1);
    static constexpr std::size_t scratch_bytes = static_cast<std::size_t>(frame + Delay) * sizeof(std::int16_t);
    static void run(const signal_delay_node&, const std::int16_t* x, const std::int16_t* state, std::int16_t* out,
                    void* scratch) noexcept {
      // The samples belong to their state node; this is the op that updates them.
      auto* combined = detail::begin_lifetime<std::int16_t>(static_cast<std::byte*>(scratch),
                                                            static_cast<std::size_t>(frame + Delay));
      reference::signal::delay(x, detail::signal_rows<In>(), frame, Delay, const_cast<std::int16_t*>(state), combined,
                               out);
    }
  };
};

/// x, Delay samples later (zeros first).
template <int Delay, int X, int State>
constexpr auto signal_delay(node_ref<X>, node_ref<State>) {
  return signal_delay_node<Delay, X, State>{};
}

template <int Size, int Step, bool Prefill, int X, int Queue, int Counts>
struct signal_framer_node {
  using op = op::signal_framer;
  using inputs = refs<X, Queue, Counts>;
  static constexpr signal_framer_attrs attrs{Size, Step, Prefill};
  /// The frames keep their bytes where an invoke does not complete them.
  static constexpr bool keeps_output = true;

  template <class In>
  struct rule {
    static constexpr rule_result value = signal_framer_rule(attrs, describe<In>(), requested_output<>());
  };

  template <int Index, class In, class Q, class C>
  static constexpr bool validate() {
    using queue_t = signal_framer_queue<In, Size, Step>;
    using counts_t = signal_framer_counts<In>;
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<In>, producer<In>>()))
    QFENCE_DETAIL_REQUIRE_STATE("signal_framer", 1, Q, queue_t, "queue of samples",
                                "signal_framer_queue<Input, FrameSize, FrameStep>")
    QFENCE_DETAIL_REQUIRE_STATE("signal_framer", 2, C, counts_t, "count of queued samples",
                                "signal_framer_counts<Input>")
    return true;
  }

  template <int Index, class In, class Q, class C>
  struct typed {
    using output = rule_output_type<rule<In>>;
    static void run(const signal_framer_node&, const std::int16_t* x, const std::int16_t* queue,
                    const std::int32_t* counts, std::int16_t* out) noexcept {
      constexpr int rows = detail::signal_rows<In>();
      constexpr std::int64_t steps = In::shape_type::dim(static_cast<int>(In::rank) - 1) / Step;
      auto* c = const_cast<std::int32_t*>(counts);
      c[rows] = reference::signal::framer(attrs.geometry(), x, rows, steps, const_cast<std::int16_t*>(queue), c, out);
    }
  };
};

/// Frames of Size samples every Step samples of x.
template <int Size, int Step, bool Prefill, int X, int Queue, int Counts>
constexpr auto signal_framer(node_ref<X>, node_ref<Queue>, node_ref<Counts>) {
  return signal_framer_node<Size, Step, Prefill, X, Queue, Counts>{};
}

template <int Channels, int Left, int Right, int Step, int X, int Queue, int Counts>
struct signal_stacker_node {
  using op = op::signal_stacker;
  using inputs = refs<X, Queue, Counts>;
  static constexpr signal_stacker_attrs attrs{Channels, Left, Right, Step};
  /// The stack keeps its bytes on an invoke that does not output.
  static constexpr bool keeps_output = true;

  template <class In>
  struct rule {
    static constexpr rule_result value = signal_stacker_rule(attrs, describe<In>(), requested_output<>());
  };

  template <int Index, class In, class Q, class C>
  static constexpr bool validate() {
    using queue_t = signal_stacker_queue<Channels, Left, Right>;
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<In>, producer<In>>()))
    QFENCE_DETAIL_REQUIRE_STATE("signal_stacker", 1, Q, queue_t, "queue of frames",
                                "signal_stacker_queue<Channels, Left, Right>")
    QFENCE_DETAIL_REQUIRE_STATE("signal_stacker", 2, C, signal_stacker_counts, "counts",
                                "signal_stacker_counts")
    return true;
  }

  template <int Index, class In, class Q, class C>
  struct typed {
    using output = rule_output_type<rule<In>>;
    static void run(const signal_stacker_node&, const std::int16_t* x, const std::int16_t* queue,
                    const std::int32_t* counts, std::int16_t* out) noexcept {
      auto* c = const_cast<std::int32_t*>(counts);
      c[2] = reference::signal::stacker(attrs.geometry(), x, const_cast<std::int16_t*>(queue), c[0], c[1], out);
    }
  };
};

/// Left frames before and Right after each frame of Channels values, every
/// Step frames.
template <int Channels, int Left, int Right, int Step, int X, int Queue, int Counts>
constexpr auto signal_stacker(node_ref<X>, node_ref<Queue>, node_ref<Counts>) {
  return signal_stacker_node<Channels, Left, Right, Step, X, Queue, Counts>{};
}

template <int Slot, int Counts, int After>
struct signal_valid_flag_node {
  using op = op::signal_valid_flag;
  using inputs = refs<Counts, After>;

  template <int Index, class C, class A>
  static constexpr bool validate() {
    QFENCE_REQUIRE((C::type == dtype::i32 && Slot >= 0 && Slot < C::elements),
                   (at_node<Index, op>, operand<0>, producer<C>),
                   "qfence: signal_valid_flag<Slot> reads slot Slot of a framer's or stacker's count state. fix: "
                   "pass that state node, with the slot qfence/ops/signal/framing.hpp names")
    return true;
  }

  template <int Index, class C, class A>
  struct typed {
    using output = tensor<dtype::boolean, shape<>>;
    static void run(const signal_valid_flag_node&, const std::int32_t* counts, const typename A::element*,
                    bool* out) noexcept {
      *out = counts[Slot] != 0;
    }
  };
};

/// Whether the op `After` (a framer or stacker) completed its output on
/// this invoke: slot Slot of its count state `Counts`.
template <int Slot, int Counts, int After>
constexpr auto signal_valid_flag(node_ref<Counts>, node_ref<After>) {
  return signal_valid_flag_node<Slot, Counts, After>{};
}

template <int Step, int X, int State>
struct signal_overlap_add_node {
  using op = op::signal_overlap_add;
  using inputs = refs<X, State>;

  template <class In>
  struct rule {
    static constexpr signal_overlap_add_attrs attrs{In::type, Step};
    static constexpr rule_result value = signal_overlap_add_rule(attrs, describe<In>(), requested_output<>());
  };

  template <int Index, class In, class S>
  static constexpr bool validate() {
    using state_t = signal_overlap_add_state<In>;
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<In>, producer<In>>()))
    QFENCE_DETAIL_REQUIRE_STATE("signal_overlap_add", 1, S, state_t, "overlap buffer", "signal_overlap_add_state<Input>")
    return true;
  }

  template <int Index, class In, class S>
  struct typed {
    using output = rule_output_type<rule<In>>;
    using T = typename In::element;
    static void run(const signal_overlap_add_node&, const T* x, const T* state, T* out) noexcept {
      constexpr int r = static_cast<int>(In::rank);
      constexpr std::int64_t size = In::shape_type::dim(r - 1), frames = In::shape_type::dim(r - 2);
      reference::signal::overlap_add(x, In::elements / (size * frames), frames, size, Step, const_cast<T*>(state),
                                     out);
    }
  };
};

/// Frames [..., n, size] overlapped every Step samples: [..., n * Step].
template <int Step, int X, int State>
constexpr auto signal_overlap_add(node_ref<X>, node_ref<State>) {
  return signal_overlap_add_node<Step, X, State>{};
}

#undef QFENCE_DETAIL_REQUIRE_STATE

}  // namespace qfence

QFENCE_EXACT_FLOAT_END

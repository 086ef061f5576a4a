// qfence/graph/custom_op.hpp: user-defined ops.
//
// A custom op is a type the application writes:
//
//     struct gelu {
//       QFENCE_CUSTOM_OP(gelu);                 // its name, used in errors
//       static constexpr qfence::dtype accepts = qfence::f32;  // input dtype
//       // output type for a given input type (here: same shape, float)
//       template <class In> using output = qfence::tensor<qfence::f32, typename In::shape_type>;
//       template <class In, class Out>
//       static void run(const float* in, float* out) { ... }
//     };
//
// It is placed with `qfence::custom<gelu>(ref<3>)`. An op that accepts only
// f32 has no quantizer: between quantized tensors it must be wrapped in
// `qfence::fence(...)`, which dequantizes its input and quantizes its output.
#pragma once

#include <type_traits>

#include "qfence/core/diagnostic.hpp"
#include "qfence/core/tensor_type.hpp"
#include "qfence/graph/node_ref.hpp"

/// Declares a custom op's name inside its struct. The name is pasted into the
/// op's diagnostics: a static_assert message must be a literal, so the macro
/// builds the literal here, where the name is known.
#define QFENCE_CUSTOM_OP(NAME)                                                                          \
  static constexpr const char* name = #NAME;                                                           \
  template <bool HasQuantizer, class Context>                                                          \
  static constexpr bool require_quantizer() {                                                          \
    static_assert(::qfence::check<HasQuantizer, Context>,                                              \
                  "custom op '" #NAME "' has no registered quantizer; wrap it in a fence or provide a " \
                  "quantized kernel");                                                                 \
    return HasQuantizer;                                                                               \
  }

namespace qfence {

template <class Op>
concept custom_op = requires {
  { Op::name } -> std::convertible_to<const char*>;
  { Op::accepts } -> std::convertible_to<dtype>;
};

template <class Op, int In>
struct custom_node {
  static_assert(custom_op<Op>,
                "qfence: custom<Op>: Op must declare QFENCE_CUSTOM_OP(name) and `static constexpr qfence::dtype "
                "accepts`, a `template <class In> using output`, and `template <class In, class Out> static void "
                "run(const In::element*, Out::element*)`");
  using op = Op;
  using inputs = refs<In>;

  template <int Index, class Input>
  static constexpr bool validate() {
    if constexpr (Input::type != Op::accepts && Input::quant::quantized && Op::accepts == dtype::f32) {
      return Op::template require_quantizer<false, at_node<Index, Op>>();
    } else {
      QFENCE_REQUIRE(Input::type == Op::accepts, (at_node<Index, Op>, producer<Input>),
                     "qfence: this custom op does not accept its input's dtype (see its `accepts`). fix: convert "
                     "the input, or extend the op")
      return true;
    }
  }

  template <int Index, class Input>
  struct typed {
    using output = typename Op::template output<Input>;
    static void run(const custom_node&, const typename Input::element* in, typename output::element* out) {
      Op::template run<Input, output>(in, out);
    }
  };
};

/// Place custom op `Op` on node `In`'s output.
template <class Op, int In>
constexpr auto custom(node_ref<In>) {
  return custom_node<Op, In>{};
}

}  // namespace qfence

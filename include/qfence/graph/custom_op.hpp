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
// `qfence::fence(...)`, which dequantizes its input and quantizes its output,
// or, when it is elementwise and declares its float function
// `static float apply(float)`, placed as `qfence::tabulated<gelu>(ref<3>,
// out<...>)`: a 256-entry table with the fence's bytes (ops/tabulated.hpp).
#pragma once

#include <concepts>
#include <cstring>
#include <tuple>
#include <type_traits>
#include <utility>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/diagnostic.hpp"
#include "qfence/core/tensor_type.hpp"
#include "qfence/graph/node_ref.hpp"

QFENCE_EXACT_FLOAT_BEGIN

/// Declares a custom op's name inside its struct. The name is pasted into the
/// op's diagnostics: a static_assert message must be a literal, so the macro
/// builds the literal here, where the name is known.
#define QFENCE_CUSTOM_OP(NAME)                                                                          \
  static constexpr const char* name = #NAME;                                                           \
  template <bool HasQuantizer, class Context>                                                          \
  static constexpr bool require_quantizer() {                                                          \
    static_assert(::qfence::check<HasQuantizer, Context>,                                              \
                  "custom op '" #NAME "' has no registered quantizer; wrap it in a fence, give it a "   \
                  "table (qfence::tabulated<Op>, with its float function `apply`), or provide a "       \
                  "quantized kernel");                                                                 \
    return HasQuantizer;                                                                               \
  }

namespace qfence {

template <class Op>
concept custom_op = requires {
  { Op::name } -> std::convertible_to<const char*>;
  { Op::accepts } -> std::convertible_to<dtype>;
};

/// A custom op with an elementwise float function `static float apply(float)`.
template <class Op>
concept elementwise_function = custom_op<Op> && requires(float x) {
  { Op::apply(x) } -> std::convertible_to<float>;
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

// ---- custom ops of imported models ---------------------------------------
//
// A TFLite model may call an op TFLite does not have (e.g. PosenetDecoderOp).
// `qfence embed` turns it into a requirement of the generated graph: the
// application passes an `Ops` type whose member struct (named like the op)
// implements it:
//
//     struct my_ops {
//       struct PosenetDecoderOp {
//         using outputs = std::tuple<qfence::tensor<qfence::f32, qfence::shape<1, 10, 17, 2>>, ...>;
//         static void run(const float* heatmaps, ..., float* keypoints, ...);
//       };
//     };
//     auto& g = posenet::graph<my_ops>();
//
// The op may have several inputs and outputs (all outputs of one dtype). In
// the typed graph it is one node whose output packs the op's outputs back to
// back, and one custom_output node per output that extracts it with the
// type the implementation declared (models often leave these shapes to the
// op). Wrapped in a fence, the op receives float inputs dequantized with
// their producers' parameters.

namespace qfence {

namespace detail {
template <class Tuple> struct packed_outputs;
template <class First, class... Rest>
struct packed_outputs<std::tuple<First, Rest...>> {
  static constexpr dtype type = First::type;
  static constexpr bool same_dtype = ((Rest::type == First::type) && ...);
  static constexpr std::int64_t elements = (First::elements + ... + Rest::elements);
  /// Element offset of output K in the packed buffer.
  template <std::size_t K>
  static constexpr std::int64_t offset() {
    constexpr std::int64_t sizes[] = {First::elements, Rest::elements...};
    std::int64_t o = 0;
    for (std::size_t i = 0; i < K; ++i) o += sizes[i];
    return o;
  }
};
}  // namespace detail

template <class Name, class Impl, int... In>
struct model_custom_op_node {
  using op = Name;
  using inputs = refs<In...>;
  using packing = detail::packed_outputs<typename Impl::outputs>;

  template <int Index, class... Ins>
  static constexpr bool validate() {
    QFENCE_REQUIRE(packing::same_dtype, (at_node<Index, op>),
                   "qfence: a model's custom op must declare outputs of one dtype (the typed graph packs them in "
                   "one buffer). fix: change the implementation's `outputs`")
    return true;
  }

  template <int Index, class... Ins>
  struct typed {
    using output = tensor<packing::type, shape<static_cast<int>(packing::elements)>>;
    using out_element = typename output::element;
    static void run(const model_custom_op_node&, const typename Ins::element*... in, out_element* out) {
      [&]<std::size_t... K>(std::index_sequence<K...>) {
        Impl::run(in..., (out + packing::template offset<K>())...);
      }(std::make_index_sequence<std::tuple_size_v<typename Impl::outputs>>{});
    }
  };
};

template <class Name, class Impl, std::size_t K, int In>
struct model_custom_output_node {
  using op = Name;
  using inputs = refs<In>;
  using packing = detail::packed_outputs<typename Impl::outputs>;

  template <int Index, class Input>
  static constexpr bool validate() {
    return true;
  }
  template <int Index, class Input>
  struct typed {
    using output = std::tuple_element_t<K, typename Impl::outputs>;
    static void run(const model_custom_output_node&, const typename Input::element* packed,
                    typename output::element* out) {
      std::memcpy(out, packed + packing::template offset<K>(), output::bytes);
    }
  };
};

/// The node of custom op `Impl` (named by `Name`) reading nodes `In...`.
template <class Name, class Impl, int... In>
constexpr auto model_custom_op(node_ref<In>...) {
  return model_custom_op_node<Name, Impl, In...>{};
}
/// Output K of the custom op node `In`.
template <class Name, class Impl, std::size_t K, int In>
constexpr auto model_custom_output(node_ref<In>) {
  return model_custom_output_node<Name, Impl, K, In>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END

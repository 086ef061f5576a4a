// qfence/ops/concatenation.hpp: CONCATENATION along an axis.
//
// int8 inputs must all be quantized exactly like each other (TFLM copies
// bytes; it does not rescale); the output has their quantization.
#pragma once

#include <cstdint>
#include <tuple>
#include <cstring>

#include "qfence/ops/op_support.hpp"

namespace qfence {

namespace op {
struct concatenation {
  static constexpr const char* name = "concatenation";
};
}  // namespace op

namespace reference {

/// Copies `count` inputs, each [outer, dims_i[axis] * inner] bytes-wise, into
/// the output along the axis.
inline void concatenation(int count, const void* const* inputs, const std::int64_t* copy_bytes, std::int64_t outer,
                          void* output) noexcept {
  auto* out = static_cast<unsigned char*>(output);
  for (std::int64_t o = 0; o < outer; ++o)
    for (int i = 0; i < count; ++i) {
      const auto* in = static_cast<const unsigned char*>(inputs[i]) + o * copy_bytes[i];
      std::memcpy(out, in, static_cast<std::size_t>(copy_bytes[i]));
      out += copy_bytes[i];
    }
}

}  // namespace reference

template <int Axis, int... In>
struct concatenation_node {
  using op = op::concatenation;
  using inputs = refs<In...>;

  template <class First, class T, int A>
  static constexpr bool same_except_axis() {
    if (First::rank != T::rank) return false;
    for (int d = 0; d < static_cast<int>(First::rank); ++d)
      if (d != A && First::shape_type::dim(d) != T::shape_type::dim(d)) return false;
    return true;
  }

  /// The operand index of the first input whose dtype or quantization differs
  /// from input 0's, or 0 when all agree.
  template <class First, class... Rest>
  static constexpr int first_mismatch() {
    int index = 0, found = 0;
    ((++index, found = (found == 0 && !(std::is_same_v<typename First::quant, typename Rest::quant> &&
                                         First::type == Rest::type))
                           ? index
                           : found),
     ...);
    return found;
  }

  template <int Index, class First, class... Rest>
  static constexpr bool validate() {
    constexpr int axis = Axis < 0 ? Axis + static_cast<int>(First::rank) : Axis;
    constexpr int odd = first_mismatch<First, Rest...>();
    using Odd = std::tuple_element_t<static_cast<std::size_t>(odd), std::tuple<First, Rest...>>;
    QFENCE_REQUIRE(axis >= 0 && axis < static_cast<int>(First::rank), (at_node<Index, op>, producer<First>),
                   "qfence: concatenation axis is out of range for the inputs' rank")
    QFENCE_REQUIRE(odd == 0,
                   (at_node<Index, op>, operand<odd>, producer<Odd>,
                    expected<retyped<Odd, First::type, typename First::quant>>),
                   "qfence: concatenation inputs must all have the same dtype and quantization (it copies, it does "
                   "not rescale). fix: requantize the odd input with qfence::quantize<...> to the others' "
                   "parameters")
    QFENCE_REQUIRE((same_except_axis<First, Rest, axis>() && ...), (at_node<Index, op>, producer<First>, producer<Rest>...),
                   "qfence: concatenation inputs must have equal shapes except along the axis")
    return true;
  }

  template <int Index, class First, class... Rest>
  struct typed {
    static constexpr int axis = Axis < 0 ? Axis + static_cast<int>(First::rank) : Axis;
    static constexpr auto dims = [] {
      auto d = First::shape_type::dims;
      d[static_cast<std::size_t>(axis)] = (First::shape_type::dim(axis) + ... + Rest::shape_type::dim(axis));
      return d;
    }();
    using output = tensor<First::type, shape_from_array<dims>, typename First::quant>;
    static constexpr std::int64_t outer = [] {
      std::int64_t o = 1;
      for (int d = 0; d < axis; ++d) o *= First::shape_type::dim(d);
      return o;
    }();
    static constexpr std::int64_t inner_bytes = static_cast<std::int64_t>(sizeof(typename First::element)) *
                                                (First::elements / (outer * First::shape_type::dim(axis) == 0
                                                                        ? 1
                                                                        : outer * First::shape_type::dim(axis)));
    static constexpr std::int64_t copy_bytes[] = {inner_bytes * First::shape_type::dim(axis),
                                                  inner_bytes * Rest::shape_type::dim(axis)...};

    static void run(const concatenation_node&, const typename First::element* first,
                    const typename Rest::element*... rest, typename output::element* out) {
      const void* ptrs[] = {first, rest...};
      reference::concatenation(static_cast<int>(1 + sizeof...(Rest)), ptrs, copy_bytes, outer, out);
    }
  };
};

/// CONCATENATION of nodes' outputs along `Axis` (negative counts from the back).
template <int Axis, int... In>
constexpr auto concatenation(node_ref<In>...) {
  static_assert(sizeof...(In) >= 1, "qfence: concatenation needs at least one input");
  return concatenation_node<Axis, In...>{};
}

}  // namespace qfence

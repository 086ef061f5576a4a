// qfence/ops/arithmetic.hpp: element-wise ops on unquantized values (f32,
// i32): DIV, FLOOR_DIV, MAXIMUM, MINIMUM, and ADD/SUB/MUL on int32 (index
// arithmetic in models such as movenet), plus SQRT and CAST.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>

#include "qfence/ops/broadcast.hpp"
#include "qfence/ops/op_support.hpp"

namespace qfence {

namespace op {
struct div {
  static constexpr const char* name = "div";
  template <class T>
  static constexpr T apply(T a, T b) noexcept {
    if constexpr (std::is_floating_point_v<T>) {
      return a / b;
    } else {
      // A zero divisor is a run-time error in TFLite; here it yields 0.
      return b == 0 ? T{0} : (a == std::numeric_limits<T>::min() && b == -1 ? a : static_cast<T>(a / b));
    }
  }
};
struct floor_div {
  static constexpr const char* name = "floor_div";
  /// TFLite's FloorDiv: floor(a / b) in double.
  template <class T>
  static T apply(T a, T b) noexcept {
    if constexpr (std::is_floating_point_v<T>) {
      return static_cast<T>(std::floor(static_cast<double>(a) / static_cast<double>(b)));
    } else {
      if (b == 0) return T{0};  // a run-time error in TFLite
      const double q = std::floor(static_cast<double>(a) / static_cast<double>(b));
      return q >= static_cast<double>(std::numeric_limits<T>::max()) ? std::numeric_limits<T>::max()
                                                                      : static_cast<T>(q);
    }
  }
};
struct maximum {
  static constexpr const char* name = "maximum";
  template <class T>
  static constexpr T apply(T a, T b) noexcept {
    return a > b ? a : b;
  }
};
struct minimum {
  static constexpr const char* name = "minimum";
  template <class T>
  static constexpr T apply(T a, T b) noexcept {
    return a < b ? a : b;
  }
};
/// int32 ADD/SUB/MUL wrap as on two's-complement hardware (TFLite does not
/// saturate them); computed in unsigned to stay defined.
struct int_add {
  static constexpr const char* name = "add";
  template <class T>
  static constexpr T apply(T a, T b) noexcept {
    return static_cast<T>(static_cast<std::uint32_t>(a) + static_cast<std::uint32_t>(b));
  }
};
struct int_sub {
  static constexpr const char* name = "sub";
  template <class T>
  static constexpr T apply(T a, T b) noexcept {
    return static_cast<T>(static_cast<std::uint32_t>(a) - static_cast<std::uint32_t>(b));
  }
};
struct int_mul {
  static constexpr const char* name = "mul";
  template <class T>
  static constexpr T apply(T a, T b) noexcept {
    return static_cast<T>(static_cast<std::uint32_t>(a) * static_cast<std::uint32_t>(b));
  }
};
struct sqrt {
  static constexpr const char* name = "sqrt";
};
struct cast {
  static constexpr const char* name = "cast";
};
}  // namespace op

namespace reference {

/// out = clamp(Op(a, b)) over a broadcast; `lo`/`hi` are the fused
/// activation's bounds in the element type.
template <class Op, class T>
inline void arithmetic(const broadcast_geometry& g, const T* a, const T* b, T lo, T hi, T* out) noexcept {
  for_each_broadcast(g, [&](std::int64_t o, std::int64_t ia, std::int64_t ib) {
    const T v = Op::apply(a[ia], b[ib]);
    out[o] = v < lo ? lo : (v > hi ? hi : v);
  });
}

inline void sqrt(std::int64_t n, const float* in, float* out) noexcept {
  for (std::int64_t i = 0; i < n; ++i) out[i] = std::sqrt(in[i]);
}

/// CAST as TFLite's copyCast (a static_cast), except that out-of-range float
/// to integer conversions, undefined in C++, saturate (NaN gives 0).
template <class From, class To>
inline void cast(std::int64_t n, const From* in, To* out) noexcept {
  for (std::int64_t i = 0; i < n; ++i) {
    if constexpr (std::is_same_v<To, bool>) {
      out[i] = in[i] != From{};
    } else if constexpr (std::is_floating_point_v<From> && !std::is_floating_point_v<To>) {
      const double v = static_cast<double>(in[i]);
      out[i] = v != v                                                   ? To{}
               : v <= static_cast<double>(std::numeric_limits<To>::lowest()) ? std::numeric_limits<To>::lowest()
               : v >= static_cast<double>(std::numeric_limits<To>::max())    ? std::numeric_limits<To>::max()
                                                                             : static_cast<To>(v);
    } else {
      out[i] = static_cast<To>(in[i]);
    }
  }
}

}  // namespace reference

/// The clamp bounds of a fused activation on unquantized values of type T.
template <class T>
constexpr std::pair<T, T> plain_activation_bounds(activation act) noexcept {
  T lo = std::numeric_limits<T>::lowest(), hi = std::numeric_limits<T>::max();
  if (act == activation::relu || act == activation::relu6) lo = T{0};
  if (act == activation::relu6) hi = T{6};
  if (act == activation::relu_n1_to_1) {
    if constexpr (std::is_signed_v<T>) lo = static_cast<T>(-1);
    else lo = T{0};
    hi = T{1};
  }
  return {lo, hi};
}

template <class Op, int A, int B, class... Opts>
struct arithmetic_node {
  using op = Op;
  using inputs = refs<A, B>;

  template <int Index, class X, class Y>
  static constexpr bool validate() {
    using ctx = at_node<Index, op>;
    constexpr bool compares = std::is_same_v<Op, qfence::op::maximum> || std::is_same_v<Op, qfence::op::minimum>;
    QFENCE_REQUIRE_THAT(validate_options<Index, op, kinds<option_kind::fused_activation>, Opts...>::value)
    QFENCE_REQUIRE((X::type == Y::type && std::is_same_v<typename X::quant, typename Y::quant> &&
                    (X::type == dtype::f32 || X::type == dtype::i32 || (compares && X::type != dtype::f16))),
                   (ctx, operand<0>, producer<X>, operand<1>, producer<Y>),
                   "qfence: this element-wise op takes two f32 or two i32 tensors (maximum/minimum: any two "
                   "tensors of the same type and quantization). fix: cast or requantize one input")
    QFENCE_REQUIRE(X::rank <= max_broadcast_rank && Y::rank <= max_broadcast_rank &&
                       broadcastable(X::shape_type::dims, Y::shape_type::dims),
                   (ctx, operand<0>, producer<X>, operand<1>, producer<Y>),
                   "qfence: the two input shapes do not broadcast (each dimension, aligned from the right, must "
                   "be equal or 1). fix: reshape one input")
    return true;
  }

  template <int Index, class X, class Y>
  struct typed {
    static constexpr auto out_dims = broadcast_shape(X::shape_type::dims, Y::shape_type::dims);
    using output = tensor<X::type, shape_from_array<out_dims>, typename X::quant>;
    static constexpr broadcast_geometry geometry =
        make_broadcast_geometry(X::shape_type::dims.data(), static_cast<int>(X::rank), Y::shape_type::dims.data(),
                                static_cast<int>(Y::rank));
    using T = typename X::element;
    static constexpr auto bounds = plain_activation_bounds<T>(detail::fused_activation_of<Opts...>);
    static void run(const arithmetic_node&, const T* a, const T* b, T* out) {
      reference::arithmetic<Op>(geometry, a, b, bounds.first, bounds.second, out);
    }
  };
};

template <int A, int B, node_option... Opts>
constexpr auto div(node_ref<A>, node_ref<B>, Opts...) {
  return arithmetic_node<op::div, A, B, Opts...>{};
}
template <int A, int B, node_option... Opts>
constexpr auto floor_div(node_ref<A>, node_ref<B>, Opts...) {
  return arithmetic_node<op::floor_div, A, B, Opts...>{};
}
template <int A, int B>
constexpr auto maximum(node_ref<A>, node_ref<B>) {
  return arithmetic_node<op::maximum, A, B>{};
}
template <int A, int B>
constexpr auto minimum(node_ref<A>, node_ref<B>) {
  return arithmetic_node<op::minimum, A, B>{};
}
/// ADD, SUB, MUL of int32 tensors (unquantized; they wrap).
template <int A, int B, node_option... Opts>
constexpr auto int_add(node_ref<A>, node_ref<B>, Opts...) {
  return arithmetic_node<op::int_add, A, B, Opts...>{};
}
template <int A, int B, node_option... Opts>
constexpr auto int_sub(node_ref<A>, node_ref<B>, Opts...) {
  return arithmetic_node<op::int_sub, A, B, Opts...>{};
}
template <int A, int B, node_option... Opts>
constexpr auto int_mul(node_ref<A>, node_ref<B>, Opts...) {
  return arithmetic_node<op::int_mul, A, B, Opts...>{};
}

template <class Op, dtype To, int In>
struct unary_node {
  using op = Op;
  using inputs = refs<In>;
  template <int Index, class Input>
  static constexpr bool validate() {
    constexpr bool is_sqrt = std::is_same_v<Op, qfence::op::sqrt>;
    QFENCE_REQUIRE(!is_sqrt || (Input::type == dtype::f32 && !Input::quant::quantized),
                   (at_node<Index, op>, producer<Input>),
                   "qfence: sqrt takes an f32 tensor. fix: dequantize the input first")
    QFENCE_REQUIRE(Input::type != dtype::f16 && To != dtype::f16, (at_node<Index, op>, producer<Input>),
                   "qfence: cast between f16 and other types is not supported")
    return true;
  }
  template <int Index, class Input>
  struct typed {
    using output = tensor<To, typename Input::shape_type>;
    static void run(const unary_node&, const typename Input::element* in, typename output::element* out) {
      if constexpr (std::is_same_v<Op, qfence::op::sqrt>) reference::sqrt(Input::elements, in, out);
      else reference::cast(Input::elements, in, out);
    }
  };
};

/// SQRT of an f32 tensor.
template <int In>
constexpr auto sqrt(node_ref<In>) {
  return unary_node<op::sqrt, dtype::f32, In>{};
}
/// CAST to dtype `To` (a C++ static_cast per element; float to integer
/// truncates, and saturates out of range). The result is unquantized.
template <dtype To, int In>
constexpr auto cast(node_ref<In>) {
  return unary_node<op::cast, To, In>{};
}

}  // namespace qfence

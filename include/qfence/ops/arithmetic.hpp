// qfence/ops/arithmetic.hpp: element-wise ops on unquantized values (f32,
// i32): DIV, FLOOR_DIV, MAXIMUM, MINIMUM, and ADD/SUB/MUL on int32 (index
// arithmetic in models such as movenet), plus SQRT and CAST.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/broadcast.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/elementwise.hpp"
#include "qfence/rules/unary.hpp"

QFENCE_EXACT_FLOAT_BEGIN

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

  static constexpr arithmetic_fn fn = std::is_same_v<Op, qfence::op::div>         ? arithmetic_fn::div
                                      : std::is_same_v<Op, qfence::op::floor_div> ? arithmetic_fn::floor_div
                                      : std::is_same_v<Op, qfence::op::maximum>   ? arithmetic_fn::maximum
                                      : std::is_same_v<Op, qfence::op::minimum>   ? arithmetic_fn::minimum
                                      : std::is_same_v<Op, qfence::op::int_add>   ? arithmetic_fn::int_add
                                      : std::is_same_v<Op, qfence::op::int_sub>   ? arithmetic_fn::int_sub
                                                                                  : arithmetic_fn::int_mul;

  /// The op rule (qfence/rules/elementwise.hpp) on this node's operand types.
  template <class X, class Y>
  struct rule {
    static constexpr rule_result value = arithmetic_rule(fn, {detail::fused_activation_of<Opts...>, true},
                                                         describe<X>(), describe<Y>(), requested_output<>());
  };

  template <int Index, class X, class Y>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT(validate_options<Index, op, kinds<option_kind::fused_activation>, Opts...>::value)
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<X, Y>, producer<X>, producer<Y>>()))
    return true;
  }

  template <int Index, class X, class Y>
  struct typed {
    using output = rule_output_type<rule<X, Y>>;
    static constexpr broadcast_geometry geometry = broadcast_geometry_of(describe<X>(), describe<Y>());
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
  /// The op rule (qfence/rules/unary.hpp) on this node's operand type.
  template <class Input>
  struct rule {
    static constexpr rule_result value = [] {
      if constexpr (std::is_same_v<Op, qfence::op::sqrt>) return sqrt_rule(describe<Input>(), {});
      else return cast_rule(describe<Input>(), {true, true, To, {}, false, {}});
    }();
  };

  template <int Index, class Input>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<Input>, producer<Input>>()))
    return true;
  }
  template <int Index, class Input>
  struct typed {
    using output = rule_output_type<rule<Input>>;
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

QFENCE_EXACT_FLOAT_END

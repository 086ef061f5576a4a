// qfence/ops/pooling.hpp: AVERAGE_POOL_2D and MAX_POOL_2D.
//
// Output quantization equals the input's (TFLite requires it). Numerics:
// TFLite reference_ops / reference_integer_ops AveragePool and MaxPool; the
// window is clipped to the input, and an int8 average rounds half away from
// zero.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/window_geometry.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/pooling.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct average_pool2d {
  static constexpr const char* name = "average_pool2d";
};
struct max_pool2d {
  static constexpr const char* name = "max_pool2d";
};
}  // namespace op

namespace reference {

template <class T, class Reduce>
inline void pool2d(const window_geometry& g, const T* input, T* output, Reduce&& reduce) noexcept {
  for (int b = 0; b < g.batches; ++b)
    for (int oy = 0; oy < g.out_h; ++oy)
      for (int ox = 0; ox < g.out_w; ++ox)
        for (int c = 0; c < g.in_c; ++c) {
          const int in_x0 = ox * g.stride_w - g.pad_w;
          const int in_y0 = oy * g.stride_h - g.pad_h;
          const int fx_start = std::max(0, -in_x0);
          const int fx_end = std::min(g.filter_w, g.in_w - in_x0);
          const int fy_start = std::max(0, -in_y0);
          const int fy_end = std::min(g.filter_h, g.in_h - in_y0);
          output[((b * g.out_h + oy) * g.out_w + ox) * g.in_c + c] = reduce([&](auto&& visit) {
            for (int fy = fy_start; fy < fy_end; ++fy)
              for (int fx = fx_start; fx < fx_end; ++fx)
                visit(input[((b * g.in_h + in_y0 + fy) * g.in_w + in_x0 + fx) * g.in_c + c]);
          });
        }
}

inline void average_pool2d(const window_geometry& g, const float* input, float_range act, float* output) noexcept {
  pool2d(g, input, output, [&](auto&& window) {
    float total = 0.0f;
    int count = 0;
    window([&](float v) { total += v; ++count; });
    return apply(act, total / static_cast<float>(count));
  });
}

/// 8-bit average pooling (int8; legacy uint8, where the sum is never negative).
template <class T>
  requires(sizeof(T) == 1)
inline void average_pool2d(const window_geometry& g, const T* input, int_range act, T* output) noexcept {
  pool2d(g, input, output, [&](auto&& window) {
    std::int32_t acc = 0;
    int count = 0;
    window([&](T v) { acc += v; ++count; });
    // count > 0: SAME/VALID windows always overlap the input.
    acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
    return static_cast<T>(apply(act, acc));
  });
}

template <class T, class Range>
inline void max_pool2d(const window_geometry& g, const T* input, Range act, T* output) noexcept {
  pool2d(g, input, output, [&](auto&& window) {
    T best = std::numeric_limits<T>::lowest();
    window([&](T v) { best = std::max(best, v); });
    if constexpr (std::is_same_v<T, float>) {
      return apply(act, best);
    } else {
      return static_cast<T>(apply(act, static_cast<std::int32_t>(best)));
    }
  });
}

}  // namespace reference

template <class Op, int In, class... Opts>
struct pool2d_node {
  using op = Op;
  using inputs = refs<In>;

  static constexpr pool_attrs attrs = [] {
    using f = option_or<option_kind::filter, filter_t<1>, Opts...>;
    using s = option_or<option_kind::stride, stride_t<1>, Opts...>;
    constexpr bool given = has_option<option_kind::filter, Opts...>;
    return pool_attrs{std::is_same_v<Op, qfence::op::max_pool2d>, given ? f::h : 0, given ? f::w : 0, s::h, s::w,
                      option_or<option_kind::padding, padding_t<padding::valid>, Opts...>::value,
                      detail::fused_activation_of<Opts...>, true};
  }();

  /// The op rule (qfence/rules/pooling.hpp) on this node's operand type.
  template <class Input>
  struct rule {
    static constexpr rule_result value = pool2d_rule(attrs, describe<Input>(), requested_output<>());
  };

  template <int Index, class Input>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT(validate_options<Index, op,
                                         kinds<option_kind::filter, option_kind::stride, option_kind::padding,
                                               option_kind::fused_activation>,
                                         Opts...>::value)
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<Input>, producer<Input>>()))
    return true;
  }

  template <int Index, class Input>
  struct typed {
    static constexpr window_geometry geometry = pool_geometry(attrs, describe<Input>());
    using output = rule_output_type<rule<Input>>;
    static constexpr auto act = detail::activation_range_for<output, Opts...>();

    static void run(const pool2d_node&, const typename Input::element* in, typename output::element* out) {
      if constexpr (std::is_same_v<Op, qfence::op::average_pool2d>) {
        reference::average_pool2d(geometry, in, act, out);
      } else {
        reference::max_pool2d(geometry, in, act, out);
      }
    }
  };
};

/// AVERAGE_POOL_2D. Options: filter<h, w> (required), stride<..>, same/valid
/// (default valid), fused_relu...
template <int In, node_option... Opts>
constexpr auto average_pool2d(node_ref<In>, Opts...) {
  return pool2d_node<op::average_pool2d, In, Opts...>{};
}

/// MAX_POOL_2D; options as average_pool2d.
template <int In, node_option... Opts>
constexpr auto max_pool2d(node_ref<In>, Opts...) {
  return pool2d_node<op::max_pool2d, In, Opts...>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END

// qfence/ops/mean.hpp: MEAN over a set of axes.
//
// Numerics: float sums then divides; int8 follows TFLite/TFLM
// QuantizedMeanOrSum: an int32 sum of the raw values, the zero point removed
// (sum - zp * n), and one multiplier in_scale / out_scale with 1/n folded in.
#pragma once

#include <array>
#include <bit>
#include <cstdint>

#include "qfence/core/exact_float.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/mean.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct mean {
  static constexpr const char* name = "mean";
};
}  // namespace op

/// Generic reduction layout: for each output element, which input elements
/// fold into it. Computed from up-to-6-D shapes.
struct reduce_geometry {
  std::array<int, 6> in_dims{1, 1, 1, 1, 1, 1};
  std::array<bool, 6> reduced{};
  std::int64_t out_elements = 1;
  std::int64_t reduced_elements = 1;
};

/// Geometry of a reduction of a rank-`rank` (<= 6) shape over `axes`
/// (negative axes count from the back; repeated axes count once).
template <class Axis>
constexpr reduce_geometry make_reduce_geometry(const int* dims, int rank, const Axis* axes, int axis_count) {
  reduce_geometry g;
  for (int d = 0; d < rank; ++d) g.in_dims[static_cast<std::size_t>(6 - rank + d)] = dims[d];
  for (int i = 0; i < axis_count; ++i) {
    const int k = static_cast<int>(axes[i] < 0 ? axes[i] + rank : axes[i]);
    g.reduced[static_cast<std::size_t>(6 - rank + k)] = true;
  }
  for (std::size_t k = 0; k < 6; ++k) (g.reduced[k] ? g.reduced_elements : g.out_elements) *= g.in_dims[k];
  return g;
}

template <std::size_t R, std::size_t N>
constexpr reduce_geometry make_reduce_geometry(const std::array<int, R>& dims, const std::array<int, N>& axes) {
  return make_reduce_geometry(dims.data(), static_cast<int>(R), axes.data(), static_cast<int>(N));
}

namespace reference {

/// Sums input elements into `acc[out_index]` (acc zeroed by the caller).
template <class T, class Acc>
inline void reduce_sum(const reduce_geometry& g, const T* in, Acc* acc) noexcept {
  const auto& d = g.in_dims;
  std::int64_t flat = 0;
  for (int i0 = 0; i0 < d[0]; ++i0)
    for (int i1 = 0; i1 < d[1]; ++i1)
      for (int i2 = 0; i2 < d[2]; ++i2)
        for (int i3 = 0; i3 < d[3]; ++i3)
          for (int i4 = 0; i4 < d[4]; ++i4)
            for (int i5 = 0; i5 < d[5]; ++i5, ++flat) {
              const int idx[6] = {i0, i1, i2, i3, i4, i5};
              std::int64_t o = 0;
              for (std::size_t k = 0; k < 6; ++k)
                if (!g.reduced[k]) o = o * d[k] + idx[k];
              acc[o] += static_cast<Acc>(in[flat]);
            }
}

inline void mean(const reduce_geometry& g, const float* in, float* out) noexcept {
  for (std::int64_t o = 0; o < g.out_elements; ++o) out[o] = 0.0f;
  reduce_sum(g, in, out);
  for (std::int64_t o = 0; o < g.out_elements; ++o) out[o] = out[o] / static_cast<float>(g.reduced_elements);
}

/// `scratch` holds out_elements int32 sums (planned in the arena).
template <class T>
  requires(sizeof(T) == 1)
inline void mean(const reduce_geometry& g, const T* in, std::int32_t input_zero_point, quantized_multiplier m,
                 std::int32_t output_zero_point, std::int32_t* scratch, T* out) noexcept {
  for (std::int64_t o = 0; o < g.out_elements; ++o) scratch[o] = 0;
  reduce_sum(g, in, scratch);
  const std::int64_t n = g.reduced_elements;
  // Fold 1/n into the multiplier, as TFLite does.
  int shift = 63 - std::countl_zero(static_cast<std::uint64_t>(n));
  shift = std::min(shift, 32);
  shift = std::min(shift, 31 + m.shift);
  const auto multiplier = static_cast<std::int32_t>((static_cast<std::int64_t>(m.multiplier) << shift) / n);
  const int out_shift = m.shift - shift;
  for (std::int64_t o = 0; o < g.out_elements; ++o) {
    const auto shifted_sum = static_cast<std::int32_t>(scratch[o] - input_zero_point * n);
    const std::int32_t v = multiply_by_quantized_multiplier(shifted_sum, multiplier, out_shift) + output_zero_point;
    out[o] = saturate_cast<T>(v);
  }
}

}  // namespace reference

template <class Axes, int In, class... Opts> struct mean_node;
template <int... Axes, int In, class... Opts>
struct mean_node<std::integer_sequence<int, Axes...>, In, Opts...> {
  using op = op::mean;
  using inputs = refs<In>;
  static constexpr std::array<int, sizeof...(Axes)> axes{Axes...};

  static constexpr mean_attrs attrs{static_cast<int>(sizeof...(Axes)), {Axes...},
                                    has_option<option_kind::keep_dims, Opts...>};

  /// The op rule (qfence/rules/mean.hpp) on this node's operand type.
  template <class Input>
  struct rule {
    static constexpr rule_result value = mean_rule(attrs, describe<Input>(), requested_output<Opts...>());
  };

  template <int Index, class Input>
  static constexpr bool validate() {
    static_assert(sizeof...(Axes) <= max_rank, "qfence: mean<axes...>: at most 8 axes");
    QFENCE_REQUIRE_THAT(validate_options<Index, op, kinds<option_kind::keep_dims, option_kind::output_quantization>,
                                         Opts...>::value)
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<Input>, producer<Input>>()))
    return true;
  }

  template <int Index, class Input>
  struct typed {
    using output = rule_output_type<rule<Input>>;
    static constexpr reduce_geometry geometry = make_reduce_geometry(Input::shape_type::dims, axes);
    /// Extra arena bytes this node needs while it runs (the int32 sums).
    static constexpr std::size_t scratch_bytes =
        Input::type == dtype::f32 ? 0 : static_cast<std::size_t>(geometry.out_elements) * sizeof(std::int32_t);

    static void run(const mean_node&, const typename Input::element* in, typename output::element* out,
                    void* scratch) {
      if constexpr (Input::type == dtype::f32) {
        reference::mean(geometry, in, out);
      } else {
        static constexpr quantized_multiplier m =
            quantize_multiplier(static_cast<double>(Input::quant::scale) / static_cast<double>(output::quant::scale));
        reference::mean(geometry, in, Input::quant::zero_point, m, output::quant::zero_point,
                        static_cast<std::int32_t*>(scratch), out);
      }
    }
  };
};

/// MEAN over `Axes...`. Options: keep_dims, out<...> (quantized input).
template <int... Axes, int In, node_option... Opts>
constexpr auto mean(node_ref<In>, Opts...) {
  static_assert(sizeof...(Axes) >= 1, "qfence: mean<axes...>: name at least one axis");
  return mean_node<std::integer_sequence<int, Axes...>, In, Opts...>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END

// qfence/ops/fully_connected.hpp: FULLY_CONNECTED.
//
// Input [..., K] (flattened to [elements / K, K]); weights [N, K]; bias [N].
// Output [batches, N]. Numerics: TFLite reference_ops::FullyConnected (float)
// and reference_integer_ops::FullyConnected (int8; per-tensor weights, or
// per-channel along the units axis as TFLM's FullyConnectedPerChannel). The
// int8 multiplier is TFLM's: (float)(in_scale * w_scale) / out_scale, then
// QuantizeMultiplier (DESIGN §5: current TFLite rescales in double instead;
// that variant arrives with the numerics option of the TFLite importer).
#pragma once

#include <cmath>
#include <cstdint>

#include "qfence/core/exact_float.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/fully_connected.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct fully_connected {
  static constexpr const char* name = "fully_connected";
};
}  // namespace op

namespace reference {

inline void fully_connected(int batches, int accum_depth, int output_depth, const float* input,
                            const float* weights, const float* bias, float_range act, float* output) noexcept {
  for (int b = 0; b < batches; ++b)
    for (int o = 0; o < output_depth; ++o) {
      float total = 0.0f;
      for (int d = 0; d < accum_depth; ++d) total += input[b * accum_depth + d] * weights[o * accum_depth + d];
      output[b * output_depth + o] = apply(act, total + (bias != nullptr ? bias[o] : 0.0f));
    }
}

/// The 8-bit accumulation loop shared by both rescalings: hands each output
/// element's int32 accumulator (bias included) to `rescale(unit, acc)`, which
/// returns the value before the output offset and clamp.
template <class T, class TW, class Rescale>
inline void fully_connected_loop(int batches, int accum_depth, int output_depth, const T* input,
                                 std::int32_t input_offset, const TW* weights, std::int32_t weights_offset,
                                 const std::int32_t* bias, Rescale&& rescale, std::int32_t output_offset, int_range act,
                                 T* output) noexcept {
  for (int b = 0; b < batches; ++b)
    for (int o = 0; o < output_depth; ++o) {
      std::int32_t acc = 0;
      for (int d = 0; d < accum_depth; ++d)
        acc += (std::int32_t{weights[o * accum_depth + d]} + weights_offset) *
               (std::int32_t{input[b * accum_depth + d]} + input_offset);
      if (bias != nullptr) acc += bias[o];
      output[b * output_depth + o] = static_cast<T>(apply(act, rescale(o, acc) + output_offset));
    }
}

/// Int8 (per-tensor or per-channel weights) and legacy uint8 (weight zero
/// point) fully connected layers.
template <class T, class TW>
  requires(sizeof(T) == 1 && sizeof(TW) == 1)
inline void fully_connected(int batches, int accum_depth, int output_depth, const T* input,
                            std::int32_t input_offset, const TW* weights, std::int32_t weights_offset,
                            const std::int32_t* bias, const quantized_multiplier* multipliers, int multiplier_stride,
                            std::int32_t output_offset, int_range act, T* output) noexcept {
  fully_connected_loop(
      batches, accum_depth, output_depth, input, input_offset, weights, weights_offset, bias,
      [&](int o, std::int32_t acc) { return multiply_by_quantized_multiplier(acc, multipliers[o * multiplier_stride]); },
      output_offset, act, output);
}

/// TFLite's current reference rescaling (DESIGN §5; the `tflite` numerics):
/// the int32 accumulator times the real scale in double,
/// round(acc * in_scale * w_scale / out_scale), instead of TFLM's fixed-point
/// multiplier. `scales` holds one effective scale per unit (stride 1) or one
/// for all (stride 0).
template <class T, class TW>
  requires(sizeof(T) == 1 && sizeof(TW) == 1)
inline void fully_connected_double_rescale(int batches, int accum_depth, int output_depth, const T* input,
                                           std::int32_t input_offset, const TW* weights, std::int32_t weights_offset,
                                           const std::int32_t* bias, const double* scales, int scale_stride,
                                           std::int32_t output_offset, int_range act, T* output) noexcept {
  fully_connected_loop(
      batches, accum_depth, output_depth, input, input_offset, weights, weights_offset, bias,
      [&](int o, std::int32_t acc) {
        return static_cast<std::int32_t>(std::round(static_cast<double>(acc) * scales[o * scale_stride]));
      },
      output_offset, act, output);
}

}  // namespace reference

template <int In, class W, class B, class... Opts>
struct fully_connected_node {
  using op = op::fully_connected;
  using inputs = refs<In>;
  constant<W> weights_data;
  B bias_data;

  /// The op rule (qfence/rules/fully_connected.hpp) on this node's operand types.
  template <class Input>
  struct rule {
    static constexpr rule_result value = fully_connected_rule(
        {detail::fused_activation_of<Opts...>, true, false, true}, describe<Input>(), describe<W>(),
        detail::bias_desc<B>(), requested_output<Opts...>());
  };

  template <int Index, class Input>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT(validate_options<Index, op,
                                         kinds<option_kind::fused_activation, option_kind::output_quantization,
                                               option_kind::numerics>,
                                         Opts...>::value)
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<Input>, producer<Input>, weights<W>, bias<detail::bias_tensor_t<B>>>()))
    return true;
  }

  template <int Index, class Input>
  struct typed {
    static constexpr int depth = W::shape_type::dim(1);
    static constexpr int units = W::shape_type::dim(0);
    static constexpr int batches = static_cast<int>(Input::elements / depth);
    using output = rule_output_type<rule<Input>>;
    static constexpr auto act = detail::activation_range_for<output, Opts...>();

    static void run(const fully_connected_node& self, const typename Input::element* in,
                    typename output::element* out) {
      const auto* bias_ptr = detail::bias_pointer<Input>(self.bias_data);
      if constexpr (Input::type == dtype::f32) {
        reference::fully_connected(batches, depth, units, in, self.weights_data.data, bias_ptr, act, out);
      } else if constexpr (has_option<option_kind::numerics, Opts...>) {
        static constexpr auto scales = [] {
          std::array<double, W::quant::is_per_channel ? static_cast<std::size_t>(units) : 1> s{};
          for (std::size_t c = 0; c < s.size(); ++c)
            s[c] = static_cast<double>(Input::quant::scale) * static_cast<double>(W::quant::scale_at(c)) /
                   static_cast<double>(output::quant::scale);
          return s;
        }();
        reference::fully_connected_double_rescale(batches, depth, units, in, -Input::quant::zero_point,
                                                  self.weights_data.data, -W::quant::zero_point_at(0), bias_ptr,
                                                  scales.data(), W::quant::is_per_channel ? 1 : 0,
                                                  output::quant::zero_point, act, out);
      } else {
        if constexpr (W::quant::is_per_channel) {
          // TFLM FullyConnectedPerChannel: multipliers as for conv (double).
          static constexpr auto multipliers =
              detail::per_channel_multipliers<Input, W, output, static_cast<std::size_t>(units)>();
          reference::fully_connected(batches, depth, units, in, -Input::quant::zero_point, self.weights_data.data, 0,
                                     bias_ptr, multipliers.data(), 1, output::quant::zero_point, act, out);
        } else {
          // TFLite GetQuantizedConvolutionMultipler: the scale product is formed in float.
          static constexpr quantized_multiplier multiplier =
              rescale_multiplier(Input::quant::scale, W::quant::scale, output::quant::scale, true);
          reference::fully_connected(batches, depth, units, in, -Input::quant::zero_point, self.weights_data.data,
                                     -W::quant::zero_point, bias_ptr, &multiplier, 0, output::quant::zero_point, act,
                                     out);
        }
      }
    }
  };
};

/// FULLY_CONNECTED; options: fused_relu..., out<...>.
template <int In, class W, class B, node_option... Opts>
constexpr auto fully_connected(node_ref<In>, constant<W> weights, B bias, Opts...) {
  static_assert(std::is_same_v<B, no_bias_t> || is_constant_v<B>,
                "qfence: fully_connected(input, weights, bias, ...): bias must be a qfence::constant<...> or "
                "qfence::no_bias");
  return fully_connected_node<In, W, B, Opts...>{weights, bias};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END

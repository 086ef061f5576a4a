// qfence/core/quantization.hpp: quantization attributes, part of a tensor's
// type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <type_traits>

#include "qfence/core/exact_float.hpp"
#include "qfence/core/scale.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// A float (or plain integer) tensor: no quantization.
struct no_quant {
  static constexpr bool quantized = false;
  static constexpr bool is_per_channel = false;
  /// How many (scale, zero point) pairs the attribute holds: none.
  static constexpr std::size_t channels = 0;
};

/// Per-tensor affine quantization: real = Scale * (q - ZeroPoint).
template <qscale Scale, int ZeroPoint>
struct per_tensor {
  static constexpr bool quantized = true;
  static constexpr bool is_per_channel = false;
  static constexpr float scale = Scale.value();
  static constexpr int zero_point = ZeroPoint;
  static constexpr std::size_t channels = 1;
  static constexpr float scale_at(std::size_t) noexcept { return scale; }
  static constexpr int zero_point_at(std::size_t) noexcept { return ZeroPoint; }
};

/// Per-channel affine quantization along `Axis`. `Scales` and `ZeroPoints`
/// name `constexpr` arrays (float and int): referencing them keeps type names
/// short where a layer has hundreds of channels.
///
///     inline constexpr std::array<float, 8> conv1_scales{...};
///     inline constexpr std::array<int, 8> zeros8{};
///     using w = qfence::per_channel<conv1_scales, zeros8, 0>;
template <const auto& Scales, const auto& ZeroPoints, int Axis>
struct per_channel {
  static constexpr bool quantized = true;
  static constexpr bool is_per_channel = true;
  static constexpr int axis = Axis;
  static constexpr std::size_t channels = std::size(Scales);
  static_assert(std::size(ZeroPoints) == std::size(Scales),
                "qfence: per_channel: the scale array and the zero-point array have different "
                "lengths; give one zero point per channel");
  static constexpr float scale_at(std::size_t c) noexcept { return static_cast<float>(Scales[c]); }
  static constexpr int zero_point_at(std::size_t c) noexcept { return static_cast<int>(ZeroPoints[c]); }
};

/// Per-channel quantization with `Channels` scales along `Axis`, as
/// diagnostics show what a rule expected (a rule's description of a tensor
/// counts the scales but does not hold them).
template <long long Channels, int Axis>
struct per_channel_scales {
  static constexpr bool quantized = true;
  static constexpr bool is_per_channel = true;
  static constexpr int axis = Axis;
  static constexpr std::size_t channels = static_cast<std::size_t>(Channels);
};

namespace detail {
template <class Q> struct is_quant_attr : std::false_type {};
template <> struct is_quant_attr<no_quant> : std::true_type {};
template <qscale S, int Z> struct is_quant_attr<per_tensor<S, Z>> : std::true_type {};
template <const auto& S, const auto& Z, int A>
struct is_quant_attr<per_channel<S, Z, A>> : std::true_type {};
template <long long C, int A> struct is_quant_attr<per_channel_scales<C, A>> : std::true_type {};
}  // namespace detail

template <class Q> inline constexpr bool is_quant_attr_v = detail::is_quant_attr<Q>::value;

}  // namespace qfence

QFENCE_EXACT_FLOAT_END

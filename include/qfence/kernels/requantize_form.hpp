// qfence/kernels/requantize_form.hpp: which steps of the 8-bit epilogue a
// layer needs, decided once from its constants.
//
// Every quantized convolution ends with TFLite's MultiplyByQuantizedMultiplier,
// the output zero point, the activation's clamp and a narrowing
// (requantize-inl.hpp), per output: on MobileNetV2 that epilogue is most of
// the instructions of the 1x1 expansions and the depthwise layers. A layer
// whose multipliers are all below 1 shifts nothing left; one whose range is
// the type's whole range (no activation, or a ReLU starting at the type's
// minimum) clamps nothing on that side; one whose right shifts are small
// adds its zero point inside the 64-bit rounding constant of AVX-512
// (core/fixed_point.hpp, round_with_zero_point); one whose multipliers are
// all below one half rounds in float lanes on AVX-512, screened, with the
// integer steps only for the few vectors the screen refuses (float_screen).
// The compile-time path knows all of that per layer and passes
// kernels::fixed<form> to the kernel, which drops the steps a layer does not
// need. The runtime path instantiates three
// forms per kernel (runtime_forms) and picks, at prepare, the one that drops
// most of what a layer permits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>

#include "qfence/core/activation.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"
#include "qfence/kernels/parameter.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::kernels {

/// The epilogue steps a layer needs (a structural type: kernels::fixed<form>).
struct requantize_form {
  /// Some channel's multiplier exceeds 1: TFLite's x * 2^left.
  bool left_shift = true;
  /// The output zero point rides in the rounding constant (AVX-512 only,
  /// whose requantization rounds once; other targets add it).
  bool zero_point_in_round = false;
  /// The activation's minimum lies above the output type's.
  bool clamp_low = true;
  /// The activation's maximum lies below the output type's.
  bool clamp_high = true;
  /// Every multiplier has a float screen (core/fixed_point.hpp): AVX-512
  /// rounds in float lanes first and takes the integer steps only for the
  /// vectors the screen refuses (other targets take them always).
  bool float_screen = false;
  friend constexpr bool operator==(const requantize_form&, const requantize_form&) = default;
};

/// Every step: what the runtime path runs for every layer.
inline constexpr requantize_form general_requantize_form{};
using general_form = fixed<general_requantize_form>;

/// Whether a layer whose own form is `own` may run form `f`: f drops only
/// steps `own` drops.
constexpr bool permits(const requantize_form& own, const requantize_form& f) noexcept {
  return (f.left_shift || !own.left_shift) && (!f.zero_point_in_round || own.zero_point_in_round) &&
         (f.clamp_low || !own.clamp_low) && (f.clamp_high || !own.clamp_high) &&
         (!f.float_screen || own.float_screen);
}

/// The forms the runtime path instantiates: the general one; the zero point
/// in the rounding (nearly every layer permits it); that, no left shift and
/// the float screen (every multiplier below one half: nearly every
/// convolution). They keep both clamps, two 128-bit instructions per 16
/// outputs: a form per activation range would multiply the instantiations
/// (MobileNetV2's layers take four kinds of range) for less than the 512-bit
/// steps these drop.
inline constexpr requantize_form runtime_forms[] = {
    general_requantize_form, {true, true, true, true, false}, {false, true, true, true, true}};

/// The runtime form for a layer whose own form is `own`: the index of the
/// last of runtime_forms it permits (they drop more steps as they go).
constexpr int runtime_form_index(const requantize_form& own) noexcept {
  int index = 0;
  for (int i = 0; i < static_cast<int>(std::size(runtime_forms)); ++i)
    if (permits(own, runtime_forms[i])) index = i;
  return index;
}

/// fn(kernels::fixed<runtime_forms[index]>{}) (fn returns one type for
/// every form: the runtime path picks its kernel once, at prepare).
template <class Fn>
inline decltype(auto) with_runtime_form(int index, Fn&& fn) {
  switch (index) {
    case 1: return fn(fixed<runtime_forms[1]>{});
    case 2: return fn(fixed<runtime_forms[2]>{});
    default: return fn(general_form{});
  }
}
static_assert(std::size(runtime_forms) == 3, "with_runtime_form names each runtime form");

/// The form of a layer with output type T (int8 or uint8), `count`
/// multipliers (per channel, or one) and activation range `act`.
template <class T>
constexpr requantize_form requantize_form_of(const quantized_multiplier* multipliers, std::size_t count,
                                             int_range act) noexcept {
  requantize_form f{false, true, act.min > std::numeric_limits<T>::min(), act.max < std::numeric_limits<T>::max(),
                    true};
  for (std::size_t i = 0; i < count; ++i) {
    if (multipliers[i].shift > 0) f.left_shift = true;
    if (-multipliers[i].shift > zero_point_in_round_max_right) f.zero_point_in_round = false;
    if (!has_float_screen(multipliers[i])) f.float_screen = false;
  }
  return f;
}

}  // namespace qfence::kernels

QFENCE_EXACT_FLOAT_END

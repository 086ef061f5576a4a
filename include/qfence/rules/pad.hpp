// qfence/rules/pad.hpp: the type and shape rules of PAD and PADV2.
//
// Operand 0: f32, i8, u8, i16 or i32 of rank <= 6; (before, after) amounts
// per dimension are an attribute. The output grows by them and keeps the
// input's dtype and quantization. PAD pads with the real 0 (the zero
// point); PADV2's operand 1 gives the value: one element of the input's
// dtype and quantization (TFLM checks both). MIRROR_PAD fills with the
// input's own values mirrored at each border: REFLECT leaves the border
// element out (amounts up to dim - 1), SYMMETRIC repeats it (up to dim).
#pragma once

#include <array>

#include "qfence/core/exact_float.hpp"
#include "qfence/rules/support.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

inline constexpr int max_pad_rank = 6;

struct pad_attrs {
  int pairs = 0;  // (before, after) pairs given
  std::array<std::int64_t, max_rank> before{}, after{};
};

constexpr rule_result pad_rule(const pad_attrs& a, const tensor_desc& in, const output_request& req) noexcept {
  const bool type_ok = in.type == dtype::f32 || in.type == dtype::i8 || in.type == dtype::u8 || in.type == dtype::i16 ||
                       in.type == dtype::i32;
  if (!type_ok || in.rank > max_pad_rank) return rule_fail(rule_error::pad_amounts, 0);
  if (a.pairs != in.rank) return rule_fail(rule_error::pad_amounts, output_operand);
  tensor_desc out = in;
  for (int d = 0; d < in.rank; ++d) {
    const auto k = static_cast<std::size_t>(d);
    if (a.before[k] < 0 || a.after[k] < 0) return rule_fail(rule_error::pad_amounts, output_operand);
    out.dims[k] += a.before[k] + a.after[k];
  }
  return rules::same_quantization_output(out, req);
}

/// MIRROR_PAD's two modes (the format's MirrorPadMode values).
enum class mirror_mode : std::uint8_t { reflect = 0, symmetric = 1 };

/// How far from a border the mirror starts: 1 for REFLECT, 0 for SYMMETRIC.
constexpr int mirror_offset(mirror_mode m) noexcept { return m == mirror_mode::reflect ? 1 : 0; }

constexpr rule_result mirror_pad_rule(const pad_attrs& a, mirror_mode mode, const tensor_desc& in,
                                      const output_request& req) noexcept {
  const rule_result padded = pad_rule(a, in, req);
  if (!padded.ok()) return padded;
  if (mode != mirror_mode::reflect && mode != mirror_mode::symmetric) return rule_fail(rule_error::bad_option, output_operand);
  for (int d = 0; d < in.rank; ++d) {
    const auto k = static_cast<std::size_t>(d);
    const std::int64_t most = in.dims[k] - mirror_offset(mode);
    if (a.before[k] > most || a.after[k] > most) return rule_fail(rule_error::mirror_pad_amounts, output_operand);
  }
  return padded;
}

/// PADV2: PAD's rule, and a value of one element in the input's type.
constexpr rule_result padv2_rule(const pad_attrs& a, const tensor_desc& in, const tensor_desc& value,
                                 const output_request& req) noexcept {
  const rule_result padded = pad_rule(a, in, req);
  if (!padded.ok()) return padded;
  if (value.type != in.type || !(value.quant == in.quant) || value.elements() != 1)
    return rule_fail(rule_error::pad_value, 1, value.retyped(in.type, in.quant));
  return padded;
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END

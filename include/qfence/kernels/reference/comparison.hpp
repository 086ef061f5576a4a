// qfence/kernels/reference/comparison.hpp: EQUAL, NOT_EQUAL, GREATER,
// GREATER_EQUAL, LESS, LESS_EQUAL: two broadcasting operands in, bool out.
//
// Bool, float, int32 and int64 operands are compared as stored (TFLite's
// ComparisonNoScaling). int8 operands, each with its own parameters, are
// brought to one scale first, as TFLM's ComparisonWithScaling does:
// (x - zero point) << 8, times the operand's scale as a fixed-point
// multiplier below one, so two values compare as the reals they stand for,
// up to that rounding.
#pragma once

#include <cstdint>
#include <type_traits>

#include "qfence/core/broadcast.hpp"
#include "qfence/core/exact_float.hpp"
#include "qfence/core/fixed_point.hpp"
#include "qfence/runtime/op_code.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

/// X(tag): the comparison ops; tag names the op tag, the runtime op_code
/// and the typed graph's function (qfence::less(ref<0>, ref<1>)).
#define QFENCE_COMPARISON_OPS(X) X(equal, ==) X(not_equal, !=) X(greater, >) X(greater_equal, >=) X(less, <) X(less_equal, <=)

namespace op {
#define QFENCE_COMPARISON_TAG(tag, op_symbol)                         \
  struct tag {                                                        \
    static constexpr const char* name = #tag;                         \
    static constexpr runtime::op_code code = runtime::op_code::tag;   \
    template <class T>                                                \
    static constexpr bool apply(T a, T b) noexcept {                  \
      return a op_symbol b;                                           \
    }                                                                 \
  };
QFENCE_COMPARISON_OPS(QFENCE_COMPARISON_TAG)
#undef QFENCE_COMPARISON_TAG
}  // namespace op

template <class Op>
inline constexpr bool is_comparison = false;
#define QFENCE_COMPARISON_IS(tag, op_symbol) \
  template <>                                \
  inline constexpr bool is_comparison<op::tag> = true;
QFENCE_COMPARISON_OPS(QFENCE_COMPARISON_IS)
#undef QFENCE_COMPARISON_IS

/// EQUAL and NOT_EQUAL, which also compare bool tensors.
template <class Op>
inline constexpr bool is_equality = std::is_same_v<Op, op::equal> || std::is_same_v<Op, op::not_equal>;

/// One int8 operand of a scaled comparison: its zero point and its scale as
/// a multiplier below one (TFLite's QuantizeMultiplierSmallerThanOneExp).
struct comparison_operand {
  std::int32_t zero_point = 0;
  quantized_multiplier scale{};
};

constexpr comparison_operand make_comparison_operand(float scale, std::int32_t zero_point) noexcept {
  return {zero_point, quantize_multiplier(static_cast<double>(scale))};
}

namespace reference {

/// out = Op(a, b) over the broadcast `g`, values as stored.
template <class Op, class T>
constexpr void compare(const broadcast_geometry& g, const T* a, const T* b, bool* out) noexcept {
  for_each_broadcast(g, [&](std::int64_t o, std::int64_t ia, std::int64_t ib) { out[o] = Op::apply(a[ia], b[ib]); });
}

/// out = Op(a, b) over the broadcast `g` for int8 operands with their own
/// parameters, each rescaled as TFLM's ComparisonWithScaling does.
template <class Op, class T>
constexpr void compare(const broadcast_geometry& g, const T* a, const comparison_operand& pa, const T* b,
                       const comparison_operand& pb, bool* out) noexcept {
  constexpr int left_shift = 8;
  const auto scaled = [](T x, const comparison_operand& p) {
    const std::int32_t shifted = (static_cast<std::int32_t>(x) - p.zero_point) * (std::int32_t{1} << left_shift);
    return multiply_by_quantized_multiplier(shifted, p.scale);
  };
  for_each_broadcast(g, [&](std::int64_t o, std::int64_t ia, std::int64_t ib) {
    out[o] = Op::apply(scaled(a[ia], pa), scaled(b[ib], pb));
  });
}

}  // namespace reference

}  // namespace qfence

QFENCE_EXACT_FLOAT_END

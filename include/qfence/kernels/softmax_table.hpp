// qfence/kernels/softmax_table.hpp: TFLite's 8-bit SOFTMAX tabulated per
// difference from the row's maximum, once per layer, for the Highway kernel
// (kernels/softmax-inl.hpp).
//
// An 8-bit input x and its row's maximum differ by k = max - x in [0, 255],
// and the reference's exponential of an element depends on k alone (and the
// layer's constants). The reference evaluates it twice per element (about
// 50 integer steps each: 46 us of MobileNet v1's 400); the table holds it for
// each k, computed by the reference's own functions (kernels/reference/
// softmax.hpp, detail::softmax_scaled_exp), so the kernel reads the same
// numbers. The compile-time path builds it at compile time, the runtime path
// at prepare.
#pragma once

#include <array>
#include <cstdint>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/reference/softmax.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::kernels {

struct softmax_table {
  /// k = max - x takes part in its row when k <= last (-diff_min, at most 255).
  int last = 0;
  /// The exponential of an element k below the maximum (Q0.31), 0 past last.
  std::array<std::int32_t, 256> exp{};
  /// Its term of the row's Q12.19 sum, 0 past last.
  std::array<std::int32_t, 256> term{};
};

constexpr softmax_table make_softmax_table(const softmax_params& p) noexcept {
  softmax_table t;
  t.last = -p.diff_min < 255 ? -p.diff_min : 255;
  for (int k = 0; k <= t.last; ++k) {
    t.exp[static_cast<std::size_t>(k)] = reference::detail::softmax_scaled_exp(-k, p);
    t.term[static_cast<std::size_t>(k)] = reference::detail::softmax_sum_term(t.exp[static_cast<std::size_t>(k)]);
  }
  return t;
}

}  // namespace qfence::kernels

QFENCE_EXACT_FLOAT_END

// qfence/ops/pad.hpp: PAD with constant zero (the zero point for int8).
#pragma once

#include <array>
#include <cstdint>

#include "qfence/core/exact_float.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/pad.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct pad {
  static constexpr const char* name = "pad";
};
}  // namespace op

namespace reference {

/// Pads a tensor of `rank` dims (<= 6) with `value`; `before`/`after` per dim.
template <class T>
inline void pad(int rank, const int* in_dims, const int* before, const int* after, const T* in, T value,
                T* out) noexcept {
  std::array<int, 6> idims{1, 1, 1, 1, 1, 1}, b{}, odims{1, 1, 1, 1, 1, 1};
  for (int d = 0; d < rank; ++d) {
    const auto k = static_cast<std::size_t>(6 - rank + d);
    idims[k] = in_dims[d];
    b[k] = before[d];
    odims[k] = in_dims[d] + before[d] + after[d];
  }
  std::int64_t o = 0;
  for (int i0 = 0; i0 < odims[0]; ++i0)
    for (int i1 = 0; i1 < odims[1]; ++i1)
      for (int i2 = 0; i2 < odims[2]; ++i2)
        for (int i3 = 0; i3 < odims[3]; ++i3)
          for (int i4 = 0; i4 < odims[4]; ++i4)
            for (int i5 = 0; i5 < odims[5]; ++i5, ++o) {
              const int idx[6] = {i0 - b[0], i1 - b[1], i2 - b[2], i3 - b[3], i4 - b[4], i5 - b[5]};
              bool inside = true;
              std::int64_t flat = 0;
              for (std::size_t k = 0; k < 6; ++k) {
                if (idx[k] < 0 || idx[k] >= idims[k]) { inside = false; break; }
                flat = flat * idims[k] + idx[k];
              }
              out[o] = inside ? in[flat] : value;
            }
}

}  // namespace reference

template <int In, int... BeforeAfter>
struct pad_node {
  using op = op::pad;
  using inputs = refs<In>;
  static constexpr std::array<int, sizeof...(BeforeAfter)> amounts{BeforeAfter...};

  static constexpr pad_attrs attrs = [] {
    pad_attrs a;
    a.pairs = sizeof...(BeforeAfter) % 2 == 0 && sizeof...(BeforeAfter) / 2 <= max_rank
                  ? static_cast<int>(sizeof...(BeforeAfter) / 2)
                  : -1;
    for (int d = 0; d < a.pairs; ++d) {
      a.before[static_cast<std::size_t>(d)] = amounts[static_cast<std::size_t>(2 * d)];
      a.after[static_cast<std::size_t>(d)] = amounts[static_cast<std::size_t>(2 * d + 1)];
    }
    return a;
  }();

  /// The op rule (qfence/rules/pad.hpp) on this node's operand type.
  template <class Input>
  struct rule {
    static constexpr rule_result value = pad_rule(attrs, describe<Input>(), requested_output<>());
  };

  template <int Index, class Input>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<Input>, producer<Input>>()))
    return true;
  }

  template <int Index, class Input>
  struct typed {
    static constexpr std::size_t rank = Input::rank;
    static constexpr auto before = [] { std::array<int, rank> b{}; for (std::size_t d = 0; d < rank; ++d) b[d] = amounts[2 * d]; return b; }();
    static constexpr auto after = [] { std::array<int, rank> a{}; for (std::size_t d = 0; d < rank; ++d) a[d] = amounts[2 * d + 1]; return a; }();
    using output = rule_output_keeping<rule<Input>, Input>;

    static void run(const pad_node&, const typename Input::element* in, typename output::element* out) {
      typename Input::element value{};
      if constexpr (Input::quant::quantized) value = static_cast<typename Input::element>(Input::quant::zero_point);
      reference::pad(static_cast<int>(rank), Input::shape_type::dims.data(), before.data(), after.data(), in, value, out);
    }
  };
};

/// PAD by (before, after) pairs, one per dimension: pad<0,0, 1,1, 1,1, 0,0>(x).
template <int... BeforeAfter, int In>
constexpr auto pad(node_ref<In>) {
  return pad_node<In, BeforeAfter...>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END

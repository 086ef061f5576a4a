// qfence/ops/strided_slice.hpp: STRIDED_SLICE geometry (TFLite's
// strided_slice_logic: masks, negative indices, clamping) and kernel.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>

#include "qfence/core/exact_float.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/strided_slice.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct strided_slice {
  static constexpr const char* name = "strided_slice";
};
}  // namespace op

namespace reference {

template <std::size_t ElementBytes>
inline void strided_slice(const slice_geometry& g, const void* input, void* output) noexcept {
  const auto* in = static_cast<const unsigned char*>(input);
  auto* out = static_cast<unsigned char*>(output);
  std::array<std::int64_t, max_slice_rank> stride_of{};
  std::int64_t s = 1;
  for (int d = max_slice_rank - 1; d >= 0; --d) {
    stride_of[static_cast<std::size_t>(d)] = s;
    s *= g.in_dims[static_cast<std::size_t>(d)];
  }
  auto at = [&](std::size_t d, int i) {
    return static_cast<std::int64_t>(g.start[d] + i * g.stride[d]) * stride_of[d];
  };
  for (int i0 = 0; i0 < g.count[0]; ++i0)
    for (int i1 = 0; i1 < g.count[1]; ++i1)
      for (int i2 = 0; i2 < g.count[2]; ++i2)
        for (int i3 = 0; i3 < g.count[3]; ++i3) {
          const std::int64_t base = at(0, i0) + at(1, i1) + at(2, i2) + at(3, i3);
          for (int i4 = 0; i4 < g.count[4]; ++i4) {
            std::memcpy(out, in + (base + at(4, i4)) * static_cast<std::int64_t>(ElementBytes), ElementBytes);
            out += ElementBytes;
          }
        }
}

}  // namespace reference

/// A STRIDED_SLICE as TFLite states it: begin, end, strides per dimension
/// and the masks. Declare one `inline constexpr slice_spec<R>` per node and
/// pass it by reference: strided_slice<spec>(x).
template <std::size_t R>
struct slice_spec {
  std::array<int, R> begin{}, end{}, strides{};
  int begin_mask = 0, end_mask = 0, shrink_axis_mask = 0;
  bool offset = false;
};

template <int In, const auto& Spec>
struct strided_slice_node {
  using op = op::strided_slice;
  using inputs = refs<In>;
  static constexpr std::size_t rank = Spec.begin.size();

  static constexpr strided_slice_attrs attrs = [] {
    strided_slice_attrs a;
    a.rank = static_cast<int>(rank);
    for (std::size_t d = 0; d < rank && d < a.begin.size(); ++d) {
      a.begin[d] = Spec.begin[d];
      a.end[d] = Spec.end[d];
      a.strides[d] = Spec.strides[d];
    }
    a.begin_mask = Spec.begin_mask;
    a.end_mask = Spec.end_mask;
    a.shrink_axis_mask = Spec.shrink_axis_mask;
    a.offset = Spec.offset;
    return a;
  }();

  /// The op rule (qfence/rules/strided_slice.hpp) on this node's operand type.
  template <class Input>
  struct rule {
    static constexpr rule_result value = strided_slice_rule(attrs, describe<Input>(), requested_output<>());
  };

  template <int Index, class Input>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<Input>, producer<Input>>()))
    return true;
  }

  template <int Index, class Input>
  struct typed {
    static constexpr slice_geometry g = make_slice_geometry(attrs, describe<Input>());
    using output = rule_output_keeping<rule<Input>, Input>;
    static void run(const strided_slice_node&, const typename Input::element* in, typename output::element* out) {
      reference::strided_slice<sizeof(typename Input::element)>(g, in, out);
    }
  };
};

template <const auto& Spec, int In>
constexpr auto strided_slice(node_ref<In>) {
  return strided_slice_node<In, Spec>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END

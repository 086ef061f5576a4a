// qfence/ops/resize.hpp: RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR
// reference kernels (NHWC), as TFLite's reference_ops compute them.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "qfence/core/exact_float.hpp"
#include "qfence/runtime/op_code.hpp"
#include "qfence/kernels/dispatch.hpp"
#include "qfence/kernels/reference/resize.hpp"
#include "qfence/ops/op_support.hpp"
#include "qfence/rules/resize.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence {

namespace op {
struct resize_bilinear {
  static constexpr const char* name = "resize_bilinear";
  /// The op in the runtime IR's vocabulary (quant/op_property.hpp keys on it).
  static constexpr runtime::op_code code = runtime::op_code::resize_bilinear;
};
struct resize_nearest_neighbor {
  static constexpr const char* name = "resize_nearest_neighbor";
  /// The op in the runtime IR's vocabulary (quant/op_property.hpp keys on it).
  static constexpr runtime::op_code code = runtime::op_code::resize_nearest_neighbor;
};
}  // namespace op


template <class Op, int OutH, int OutW, resize_mode Mode, int In>
struct resize_node {
  using op = Op;
  using inputs = refs<In>;

  static constexpr resize_attrs attrs{std::is_same_v<Op, qfence::op::resize_bilinear>, OutH, OutW,
                                      Mode == resize_mode::align_corners, Mode == resize_mode::half_pixel_centers};

  /// The op rule (qfence/rules/resize.hpp) on this node's operand type.
  template <class Input>
  struct rule {
    static constexpr rule_result value = resize_rule(attrs, describe<Input>(), requested_output<>());
  };

  template <int Index, class Input>
  static constexpr bool validate() {
    QFENCE_REQUIRE_THAT((check_rule<Index, op, rule<Input>, producer<Input>>()))
    return true;
  }

  template <int Index, class Input>
  struct typed {
    using output = rule_output_keeping<rule<Input>, Input>;
    static constexpr resize_geometry geometry{Input::shape_type::dim(0), Input::shape_type::dim(1),
                                              Input::shape_type::dim(2), Input::shape_type::dim(3), OutH, OutW,
                                              Mode == resize_mode::align_corners,
                                              Mode == resize_mode::half_pixel_centers};
    static constexpr bool bilinear = std::is_same_v<Op, qfence::op::resize_bilinear>;
    /// Whether a Highway kernel runs the node: bilinear, but for int16.
    static constexpr bool simd = bilinear && Input::type != dtype::i16;
    /// TFLite's float path: float32 and legacy uint8 (which adds 0.5 and
    /// truncates); int8 and int16 take the integer path.
    static constexpr bool float_path = Input::type == dtype::f32 || Input::type == dtype::u8;
    /// Extra arena bytes the bilinear Highway kernels need while they run
    /// (kernels/resize_bilinear-inl.hpp).
    static constexpr std::size_t scratch_bytes =
        bilinear ? kernels::resize_bilinear_scratch_elements(geometry, Input::type) * 4 : 0;
    /// Stored as the node itself: the graph then hands run() its target.
    using prepared = resize_node;

    static void run(const prepared&, [[maybe_unused]] kernels::target t, const typename Input::element* in,
                    typename output::element* out, [[maybe_unused]] void* scratch) {
      if constexpr (!bilinear) {
        reference::resize_nearest_neighbor(geometry, in, sizeof(typename Input::element), out);
      } else if constexpr (float_path) {
        kernels::resize_bilinear_float(t, geometry, in, out, static_cast<float*>(scratch));
      } else {
        kernels::resize_bilinear_integer(t, geometry, in, out, static_cast<std::int32_t*>(scratch));
      }
    }
  };
};

/// RESIZE_BILINEAR to OutH x OutW.
template <int OutH, int OutW, resize_mode Mode = resize_mode::plain, int In>
constexpr auto resize_bilinear(node_ref<In>) {
  return resize_node<op::resize_bilinear, OutH, OutW, Mode, In>{};
}
/// RESIZE_NEAREST_NEIGHBOR to OutH x OutW.
template <int OutH, int OutW, resize_mode Mode = resize_mode::plain, int In>
constexpr auto resize_nearest_neighbor(node_ref<In>) {
  return resize_node<op::resize_nearest_neighbor, OutH, OutW, Mode, In>{};
}

}  // namespace qfence

QFENCE_EXACT_FLOAT_END

// qfence/runtime/ops/resize.hpp: RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/dispatch.hpp"
#include "qfence/kernels/reference/resize.hpp"
#include "qfence/rules/resize.hpp"
#include "qfence/runtime/op_context.hpp"
#include "qfence/runtime/ops/layout.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::runtime::ops {

namespace detail {

/// Inputs (images [N, H, W, C], size [2]); the size may be computed, in which
/// case the output tensor's static shape decides (as TFLM does).
inline resize_geometry resize_setup(const op_context& ctx, bool bilinear) {
  ctx.require_io(2, 2, 1);
  const tensor &in = ctx.input(0), &out = ctx.output(0);
  // The output tensor's shape gives the size (the size input may be
  // computed); a constant size must agree with it.
  const op_options& o = ctx.options();
  const bool four_d = out.rank() == 4;
  const resize_attrs a{bilinear, four_d ? out.dim(1) : 0, four_d ? out.dim(2) : 0, o.align_corners,
                       o.half_pixel_centers};
  ctx.enforce(resize_rule(a, describe(in), request_for(out)), {0});
  if (ctx.input(1).constant) {
    const auto size = ctx.constant_ints(1, "size");
    ctx.require(size.size() == 2 && size[0] == out.dim(1) && size[1] == out.dim(2),
                "size does not match the output shape " + shape_text(out.shape));
  }
  return {in.dim(0), in.dim(1), in.dim(2), in.dim(3), out.dim(1), out.dim(2), o.align_corners, o.half_pixel_centers};
}

}  // namespace detail

inline kernel prepare_resize_bilinear(const op_context& ctx) {
  const resize_geometry g = detail::resize_setup(ctx, true);
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  const kernels::target target = ctx.simd_target();
  // The kernels' scratch (kernels::resize_bilinear_scratch_elements), made
  // once here: nothing is allocated per invoke.
  auto floating = [&]<class T>(T*) -> kernel {
    auto scratch = std::make_shared<std::vector<float>>(kernels::resize_bilinear_scratch_elements(g, ctx.input(0).type));
    return [=](const tensor_memory& m) {
      kernels::resize_bilinear_float(target, g, m.at<const T>(in_t), m.at<T>(out_t), scratch->data());
    };
  };
  auto integer = [&]<class T>(T*) -> kernel {
    auto scratch = std::make_shared<std::vector<std::int32_t>>(kernels::resize_bilinear_scratch_elements(g, ctx.input(0).type));
    return [=](const tensor_memory& m) {
      kernels::resize_bilinear_integer(target, g, m.at<const T>(in_t), m.at<T>(out_t), scratch->data());
    };
  };
  switch (ctx.input(0).type) {
    case dtype::f32: return floating(static_cast<float*>(nullptr));
    case dtype::u8: return floating(static_cast<std::uint8_t*>(nullptr));
    case dtype::i8: return integer(static_cast<std::int8_t*>(nullptr));
    case dtype::i16: return integer(static_cast<std::int16_t*>(nullptr));
    default: ctx.unsupported_types();
  }
}

inline kernel prepare_resize_nearest_neighbor(const op_context& ctx) {
  const resize_geometry g = detail::resize_setup(ctx, false);
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  const std::size_t element = size_of(ctx.input(0).type);
  return [=](const tensor_memory& m) {
    reference::resize_nearest_neighbor(g, m.at<const void>(in_t), element, m.at<void>(out_t));
  };
}

}  // namespace qfence::runtime::ops

QFENCE_EXACT_FLOAT_END

// qfence/runtime/ops/layout.hpp: ops that move elements without computing on
// them: RESHAPE, TRANSPOSE, PAD, CONCATENATION, SPLIT, SELECT_V2, ...
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/dispatch.hpp"
#include "qfence/kernels/reference/broadcast_to.hpp"
#include "qfence/kernels/reference/concatenation.hpp"
#include "qfence/kernels/reference/dynamic_update_slice.hpp"
#include "qfence/kernels/reference/fill.hpp"
#include "qfence/kernels/reference/gather.hpp"
#include "qfence/kernels/reference/gather_nd.hpp"
#include "qfence/kernels/pad.hpp"
#include "qfence/kernels/reference/pad.hpp"
#include "qfence/kernels/reference/quantize.hpp"
#include "qfence/kernels/reference/select.hpp"
#include "qfence/kernels/reference/space_batch.hpp"
#include "qfence/kernels/reference/strided_slice.hpp"
#include "qfence/kernels/reference/transpose.hpp"
#include "qfence/rules/broadcast_to.hpp"
#include "qfence/rules/concatenation.hpp"
#include "qfence/rules/dynamic_update_slice.hpp"
#include "qfence/rules/fill.hpp"
#include "qfence/rules/gather.hpp"
#include "qfence/rules/gather_nd.hpp"
#include "qfence/rules/pad.hpp"
#include "qfence/rules/reshape.hpp"
#include "qfence/rules/select.hpp"
#include "qfence/rules/space_batch.hpp"
#include "qfence/rules/space_depth.hpp"
#include "qfence/rules/strided_slice.hpp"
#include "qfence/rules/transpose.hpp"
#include "qfence/runtime/op_context.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::runtime::ops {

namespace detail {

/// Ops that only move data keep the quantization (TFLite requires it).
inline void require_same_type(const op_context& ctx, const tensor& in, const tensor& out) {
  ctx.require(in.type == out.type && in.quant.scales == out.quant.scales && in.quant.zero_points == out.quant.zero_points,
              "input and output types must match: " + type_text(in) + " vs " + type_text(out));
}

/// Calls f.template operator()<Bytes>() for an element size, so that byte-moving
/// kernels are instantiated once per size rather than per dtype.
template <class F>
kernel by_element_size(const op_context& ctx, std::size_t bytes, F&& f) {
  switch (bytes) {
    case 1: return f.template operator()<1>();
    case 2: return f.template operator()<2>();
    case 4: return f.template operator()<4>();
    case 8: return f.template operator()<8>();
    default: ctx.unsupported_types();
  }
}

/// An unsigned integer of `Bytes` bytes: the element type of kernels that
/// only move values.
template <std::size_t Bytes>
using bytes_of_size = std::conditional_t<Bytes == 1, std::uint8_t,
                                         std::conditional_t<Bytes == 2, std::uint16_t,
                                                            std::conditional_t<Bytes == 4, std::uint32_t, std::uint64_t>>>;

inline int normalized_axis(const op_context& ctx, std::int64_t axis, int rank) {
  ctx.require(axis >= -rank && axis < rank,
              "axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

/// The kernel of the ops that only rename dimensions: the bytes copied,
/// unless the planner gave input and output one buffer.
inline kernel copy_bytes(const op_context& ctx) {
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  const std::size_t bytes = ctx.input(0).bytes();
  return [=](const tensor_memory& m) {
    if (m.address[static_cast<std::size_t>(in_t)] != m.address[static_cast<std::size_t>(out_t)])
      std::memcpy(m.at<std::byte>(out_t), m.at<const std::byte>(in_t), bytes);
  };
}

}  // namespace detail

inline kernel prepare_reshape(const op_context& ctx) {
  ctx.require_io(1, 2, 1);
  const tensor &in = ctx.input(0), &out = ctx.output(0);
  // The output tensor's shape is the new shape (as in TFLM; the shape input
  // or option may hold a -1).
  reshape_attrs a;
  a.rank = out.rank();
  for (int d = 0; d < a.rank; ++d) a.dims[static_cast<std::size_t>(d)] = out.dim(d);
  ctx.enforce(reshape_rule(a, describe(in), request_for(out)), {0});
  return detail::copy_bytes(ctx);
}

/// SQUEEZE: the listed axes of size 1 dropped (none listed: all of them).
inline kernel prepare_squeeze(const op_context& ctx) {
  ctx.require_io(1, 1, 1);
  const std::vector<int>& dims = ctx.options().squeeze_dims;
  ctx.require(dims.size() <= max_rank, "squeeze_dims lists " + std::to_string(dims.size()) + " axes; at most " +
                                           std::to_string(max_rank) + " are supported");
  squeeze_attrs a;
  a.count = static_cast<int>(dims.size());
  for (std::size_t k = 0; k < dims.size(); ++k) a.axes[k] = dims[k];
  ctx.enforce(squeeze_rule(a, describe(ctx.input(0)), request_for(ctx.output(0))), {0});
  return detail::copy_bytes(ctx);
}

/// EXPAND_DIMS: a size-1 axis inserted where the constant input 1 says.
inline kernel prepare_expand_dims(const op_context& ctx) {
  ctx.require_io(2, 2, 1);
  std::array<std::int64_t, 1> axis{};
  ctx.require(ctx.constant_ints_into(1, "axis", axis) == 1, "the axis input must hold one value");
  ctx.enforce(expand_dims_rule(static_cast<int>(axis[0]), describe(ctx.input(0)), request_for(ctx.output(0))), {0});
  return detail::copy_bytes(ctx);
}

inline kernel prepare_transpose(const op_context& ctx) {
  ctx.require_io(2, 2, 1);
  const tensor &in = ctx.input(0), &out = ctx.output(0);
  transpose_attrs a;
  a.rank = ctx.constant_ints_into(1, "permutation", a.perm);
  ctx.enforce(transpose_rule(a, describe(in), request_for(out)), {0});
  std::vector<int> perm(a.perm.begin(), a.perm.begin() + a.rank);
  const transpose_geometry g = make_transpose_geometry(in.shape.data(), in.rank(), perm.data());
  const kernels::interleave_form form = kernels::interleave_form_of(g);
  const kernels::target target = ctx.simd_target();
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  return detail::by_element_size(ctx, size_of(in.type), [&]<std::size_t B>() -> kernel {
    return [=](const tensor_memory& m) {
      kernels::transpose<B>(target, g, form, m.at<const std::byte>(in_t), m.at<std::byte>(out_t));
    };
  });
}

/// DEPTH_TO_SPACE (to_space) and SPACE_TO_DEPTH: the 6-D transpose each is.
template <bool ToSpace>
kernel prepare_space_depth(const op_context& ctx) {
  ctx.require_io(1, 1, 1);
  const tensor& in = ctx.input(0);
  const space_depth_attrs a{ToSpace, ctx.options().block_size};
  ctx.enforce(space_depth_rule(a, describe(in), request_for(ctx.output(0))), {0});
  const space_depth_view view = space_depth_transpose(a, in.shape.data());
  const transpose_geometry g = make_transpose_geometry(view.dims.data(), 6, view.perm.data());
  const kernels::interleave_form form = kernels::interleave_form_of(g);
  const kernels::target target = ctx.simd_target();
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  return detail::by_element_size(ctx, size_of(in.type), [&]<std::size_t B>() -> kernel {
    return [=](const tensor_memory& m) {
      kernels::transpose<B>(target, g, form, m.at<const std::byte>(in_t), m.at<std::byte>(out_t));
    };
  });
}

namespace detail {
/// PAD's, PADV2's and MIRROR_PAD's (before, after) pairs from input 1.
inline pad_attrs pad_amounts(const op_context& ctx) {
  std::array<std::int64_t, 2 * max_rank> amounts{};
  const int given = ctx.constant_ints_into(1, "paddings", amounts);
  pad_attrs a;
  a.pairs = given % 2 == 0 ? given / 2 : -1;
  for (int d = 0; d < a.pairs; ++d) {
    a.before[static_cast<std::size_t>(d)] = amounts[static_cast<std::size_t>(2 * d)];
    a.after[static_cast<std::size_t>(d)] = amounts[static_cast<std::size_t>(2 * d + 1)];
  }
  return a;
}
}  // namespace detail

/// MIRROR_PAD: the input's own values mirrored at each border.
inline kernel prepare_mirror_pad(const op_context& ctx) {
  ctx.require_io(2, 2, 1);
  const tensor& in = ctx.input(0);
  const pad_attrs a = detail::pad_amounts(ctx);
  const auto mode = static_cast<mirror_mode>(ctx.options().mirror_mode);
  ctx.enforce(mirror_pad_rule(a, mode, describe(in), request_for(ctx.output(0))), {0});
  const std::vector<int> before(a.before.begin(), a.before.begin() + in.rank()),
      after(a.after.begin(), a.after.begin() + in.rank());
  const int offset = mirror_offset(mode);
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  return detail::by_element_size(ctx, size_of(in.type), [&]<std::size_t Bytes>() -> kernel {
    using T = detail::bytes_of_size<Bytes>;
    return [=, dims = in.shape](const tensor_memory& m) {
      reference::mirror_pad(static_cast<int>(dims.size()), dims.data(), before.data(), after.data(), offset,
                            m.at<const T>(in_t), m.at<T>(out_t));
    };
  });
}

/// SPACE_TO_BATCH_ND (ToBatch) and BATCH_TO_SPACE_ND: constant block shape
/// (input 1) and paddings or crops (input 2).
template <bool ToBatch>
kernel prepare_space_batch(const op_context& ctx) {
  ctx.require_io(3, 3, 1);
  const tensor &in = ctx.input(0), &out = ctx.output(0);
  space_batch_attrs a;
  a.to_batch = ToBatch;
  a.spatial = ctx.constant_ints_into(1, "block_shape", a.block);
  a.pairs = ctx.constant_ints_into(2, ToBatch ? "paddings" : "crops", a.edges);
  ctx.enforce(space_batch_rule(a, describe(in), request_for(out)), {0});
  const std::array<int, 2> block{static_cast<int>(a.block[0]), static_cast<int>(a.block[1])};
  const std::array<int, 4> edges{static_cast<int>(a.edges[0]), static_cast<int>(a.edges[1]),
                                 static_cast<int>(a.edges[2]), static_cast<int>(a.edges[3])};
  const space_batch_geometry g =
      make_space_batch_geometry(in.shape.data(), out.shape.data(), in.rank(), block.data(), edges.data());
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  const std::int32_t zp = in.quant.quantized() ? in.quant.zero_point() : 0;
  return detail::by_element_size(ctx, size_of(in.type), [&]<std::size_t Bytes>() -> kernel {
    using T = detail::bytes_of_size<Bytes>;
    if constexpr (ToBatch) {
      // The pad is the zero point's bytes (0 for unquantized types).
      T pad = 0;
      if (in.type == dtype::i8) pad = static_cast<T>(static_cast<std::uint8_t>(static_cast<std::int8_t>(zp)));
      else if (in.type == dtype::u8) pad = static_cast<T>(zp);
      else if (in.type == dtype::i16) pad = static_cast<T>(static_cast<std::uint16_t>(static_cast<std::int16_t>(zp)));
      return [=](const tensor_memory& m) { reference::space_to_batch(g, m.at<const T>(in_t), pad, m.at<T>(out_t)); };
    } else {
      return [=](const tensor_memory& m) { reference::batch_to_space(g, m.at<const T>(in_t), m.at<T>(out_t)); };
    }
  });
}

inline kernel prepare_pad(const op_context& ctx) {
  ctx.require_io(2, 3, 1);
  const tensor &in = ctx.input(0), &out = ctx.output(0);
  const pad_attrs a = detail::pad_amounts(ctx);
  // PADV2 (and a PAD given a third input, which TFLite reads alike) pads
  // with input 2's value, read at every invoke as TFLM reads it.
  const bool given_value = ctx.input_count() == 3 && ctx.has_input(2);
  if (given_value) ctx.enforce(padv2_rule(a, describe(in), describe(ctx.input(2)), request_for(out)), {0, 2});
  else ctx.enforce(pad_rule(a, describe(in), request_for(out)), {0});
  const int value_t = given_value ? ctx.input_index(2) : -1;
  const std::vector<int> before(a.before.begin(), a.before.begin() + in.rank()),
      after(a.after.begin(), a.after.begin() + in.rank());
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  const bool reference_only = ctx.simd_target().is_reference();
  auto typed = [&]<class T>(T zero) -> kernel {
    return [=, dims = in.shape](const tensor_memory& m) {
      const T value = value_t >= 0 ? *m.at<const T>(value_t) : zero;
      if (reference_only) {
        reference::pad(static_cast<int>(dims.size()), dims.data(), before.data(), after.data(), m.at<const T>(in_t),
                       value, m.at<T>(out_t));
        return;
      }
      kernels::pad(static_cast<int>(dims.size()), dims.data(), before.data(), after.data(), m.at<const T>(in_t), value,
                   m.at<T>(out_t));
    };
  };
  // Without a value: the real 0 (the zero point).
  const std::int32_t zp = in.quant.zero_point();
  switch (in.type) {
    case dtype::f32: return typed(0.0f);
    case dtype::i8: return typed(static_cast<std::int8_t>(zp));
    case dtype::u8: return typed(static_cast<std::uint8_t>(zp));
    case dtype::i16: return typed(static_cast<std::int16_t>(zp));
    case dtype::i32: return typed(std::int32_t{0});
    default: ctx.unsupported_types();
  }
}

inline kernel prepare_concatenation(const op_context& ctx) {
  ctx.require(ctx.input_count() >= 1 && ctx.output_count() == 1, "takes at least 1 input and 1 output");
  const tensor& out = ctx.output(0);
  const int count = ctx.input_count();
  std::vector<tensor_desc> operands;
  for (int i = 0; i < count; ++i) operands.push_back(describe(ctx.input(i)));
  const concatenation_attrs a{ctx.options().axis, ctx.options().fused, plain_fused_activation(ctx.options())};
  ctx.enforce(concatenation_rule(a, operands.data(), count, request_for(out)));
  const int rank = out.rank();
  const int axis = concatenation_axis(a, rank);
  std::int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= out.dim(d);
  for (int d = axis + 1; d < rank; ++d) inner *= out.dim(d);
  std::vector<int> inputs;
  std::vector<std::int64_t> copy_bytes;
  bool rescale = false;
  const quant_desc out_quant = describe(out).quant;
  for (int i = 0; i < count; ++i) {
    const tensor& in = ctx.input(i);
    inputs.push_back(ctx.input_index(i));
    copy_bytes.push_back(in.dim(axis) * inner * static_cast<std::int64_t>(size_of(in.type)));
    if (!(operands[static_cast<std::size_t>(i)].quant == out_quant)) rescale = true;
  }
  const int out_t = ctx.output_index(0);
  if (!rescale) {
    auto pointers = std::make_shared<std::vector<const void*>>(inputs.size());
    return [=](const tensor_memory& m) {
      for (std::size_t i = 0; i < inputs.size(); ++i) (*pointers)[i] = m.at<const void>(inputs[i]);
      reference::concatenation(count, pointers->data(), copy_bytes.data(), outer, m.at<void>(out_t));
    };
  }
  // Inputs quantized differently from the output (uint8 only: the rule):
  // TFLite's reference ConcatenationWithScaling requantizes them in float.
  std::vector<float> scales;
  std::vector<std::int32_t> zero_points;
  for (int i = 0; i < count; ++i) {
    scales.push_back(ctx.input(i).quant.scale());
    zero_points.push_back(ctx.input(i).quant.zero_point());
  }
  const float out_scale = out.quant.scale();
  const std::int32_t out_zp = out.quant.zero_point();
  auto pointers = std::make_shared<std::vector<const std::uint8_t*>>(inputs.size());
  return [=](const tensor_memory& m) {
    for (std::size_t i = 0; i < inputs.size(); ++i) (*pointers)[i] = m.at<const std::uint8_t>(inputs[i]);
    reference::concatenation_with_scaling(count, pointers->data(), copy_bytes.data(), outer, scales.data(),
                                          zero_points.data(), out_scale, out_zp, m.at<std::uint8_t>(out_t));
  };
}

namespace detail {
/// The kernel of a strided slice its rule accepted (STRIDED_SLICE, SLICE).
inline kernel strided_slice_kernel(const op_context& ctx, const strided_slice_attrs& a) {
  const slice_geometry g = make_slice_geometry(a, describe(ctx.input(0)));
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  return by_element_size(ctx, size_of(ctx.input(0).type), [&]<std::size_t B>() -> kernel {
    return [=](const tensor_memory& m) {
      reference::strided_slice<B>(g, m.at<const std::byte>(in_t), m.at<std::byte>(out_t));
    };
  });
}
}  // namespace detail

inline kernel prepare_strided_slice(const op_context& ctx) {
  ctx.require_io(4, 4, 1);
  const tensor &in = ctx.input(0), &out = ctx.output(0);
  const op_options& o = ctx.options();
  strided_slice_attrs a;
  a.rank = ctx.constant_ints_into(1, "begin", a.begin);
  ctx.require(ctx.constant_ints_into(2, "end", a.end) == a.rank &&
                  ctx.constant_ints_into(3, "strides", a.strides) == a.rank,
              "begin, end and strides must have one entry per input dimension");
  a.begin_mask = o.begin_mask;
  a.end_mask = o.end_mask;
  a.shrink_axis_mask = o.shrink_axis_mask;
  a.ellipsis_mask = o.ellipsis_mask;
  a.new_axis_mask = o.new_axis_mask;
  a.offset = o.offset;
  ctx.enforce(strided_slice_rule(a, describe(in), request_for(out)), {0});
  return detail::strided_slice_kernel(ctx, a);
}

/// REVERSE_V2: the strided slice with stride -1 along the axes.
inline kernel prepare_reverse_v2(const op_context& ctx) {
  ctx.require_io(2, 2, 1);
  reverse_attrs r;
  r.count = ctx.constant_ints_into(1, "axes", r.axes);
  ctx.enforce(reverse_rule(r, describe(ctx.input(0)), request_for(ctx.output(0))), {0});
  return detail::strided_slice_kernel(ctx, as_strided_slice(r, ctx.input(0).rank()));
}

/// SLICE: the strided slice with stride 1 that its begin and size make.
inline kernel prepare_slice(const op_context& ctx) {
  ctx.require_io(3, 3, 1);
  slice_attrs s;
  s.rank = ctx.constant_ints_into(1, "begin", s.begin);
  ctx.require(ctx.constant_ints_into(2, "size", s.size) == s.rank, "begin and size must have one entry each per input dimension");
  ctx.enforce(slice_rule(s, describe(ctx.input(0)), request_for(ctx.output(0))), {0});
  return detail::strided_slice_kernel(ctx, as_strided_slice(s));
}

/// Moves `outer` x `count` x `inner`-byte blocks between one tensor and
/// `count` tensors (PACK writes the one, UNPACK reads it).
inline kernel prepare_pack_or_unpack(const op_context& ctx, bool pack) {
  const tensor& whole = pack ? ctx.output(0) : ctx.input(0);
  const int count = pack ? ctx.input_count() : ctx.output_count();
  ctx.require(count >= 1 && (pack ? ctx.output_count() == 1 : ctx.input_count() == 1),
              pack ? "takes 1+ inputs and 1 output" : "takes 1 input and 1+ outputs");
  ctx.require(ctx.options().count == 0 || ctx.options().count == count,
              "the options say " + std::to_string(ctx.options().count) + " values, the model gives " +
                  std::to_string(count));
  const int axis = detail::normalized_axis(ctx, ctx.options().axis, whole.rank());
  ctx.require(whole.dim(axis) == count, "dimension " + std::to_string(axis) + " of " + shape_text(whole.shape) +
                                            " should be " + std::to_string(count));
  std::vector<int> part_shape = whole.shape;
  part_shape.erase(part_shape.begin() + axis);
  std::vector<int> parts;
  for (int i = 0; i < count; ++i) {
    const tensor& part = pack ? ctx.input(i) : ctx.output(i);
    detail::require_same_type(ctx, part, whole);
    ctx.require(part.shape == part_shape, "part " + std::to_string(i) + " shape " + shape_text(part.shape) +
                                              " should be " + shape_text(part_shape));
    parts.push_back(pack ? ctx.input_index(i) : ctx.output_index(i));
  }
  std::int64_t outer = 1, inner = static_cast<std::int64_t>(size_of(whole.type));
  for (int d = 0; d < axis; ++d) outer *= whole.dim(d);
  for (int d = axis + 1; d < whole.rank(); ++d) inner *= whole.dim(d);
  const int whole_t = pack ? ctx.output_index(0) : ctx.input_index(0);
  return [=](const tensor_memory& m) {
    auto* w = m.at<unsigned char>(whole_t);
    for (std::int64_t o = 0; o < outer; ++o)
      for (std::size_t i = 0; i < parts.size(); ++i) {
        auto* p = m.at<unsigned char>(parts[i]) + o * inner;
        if (pack) std::memcpy(w, p, static_cast<std::size_t>(inner));
        else std::memcpy(p, w, static_cast<std::size_t>(inner));
        w += inner;
      }
  };
}

inline kernel prepare_pack(const op_context& ctx) { return prepare_pack_or_unpack(ctx, true); }
inline kernel prepare_unpack(const op_context& ctx) { return prepare_pack_or_unpack(ctx, false); }

/// GATHER_ND: params [d0..dn), indices [..., k] (int32/int64, k <= n);
/// each index row selects a slice params[i0..ik). Out-of-range indices are
/// a run-time data error in TFLite; here they produce zeros, never a read
/// outside the tensor.
/// GATHER along options.axis with options.batch_dims.
inline kernel prepare_gather(const op_context& ctx) {
  ctx.require_io(2, 2, 1);
  const tensor &params = ctx.input(0), &indices = ctx.input(1);
  const gather_attrs given{ctx.options().axis, ctx.options().batch_dims};
  ctx.enforce(gather_rule(given, describe(params), describe(indices), request_for(ctx.output(0))), {0, 1});
  const gather_attrs a = resolved_gather(given, describe(params), describe(indices));
  const gather_geometry g = make_gather_geometry(params.shape.data(), params.rank(), a.axis, a.batch_dims, indices.elements());
  const std::size_t bytes = size_of(params.type);
  const int p_t = ctx.input_index(0), i_t = ctx.input_index(1), out_t = ctx.output_index(0);
  auto typed = [&]<class Index>(Index*) -> kernel {
    return [=](const tensor_memory& m) {
      reference::gather(g, bytes, m.at<const void>(p_t), m.at<const Index>(i_t), m.at<void>(out_t));
    };
  };
  if (indices.type == dtype::i64) return typed(static_cast<std::int64_t*>(nullptr));
  return typed(static_cast<std::int32_t*>(nullptr));
}

/// EMBEDDING_LOOKUP(ids, table): GATHER of rows, or TFLM's hybrid form (an
/// int8 table read into an f32 output).
inline kernel prepare_embedding_lookup(const op_context& ctx) {
  ctx.require_io(2, 2, 1);
  const tensor &ids = ctx.input(0), &table = ctx.input(1), &out = ctx.output(0);
  const bool dequantize = embedding_lookup_dequantizes(table.type, out.type);
  ctx.enforce(embedding_lookup_rule(describe(ids), describe(table), dequantize, request_for(out)), {0, 1});
  const int ids_t = ctx.input_index(0), table_t = ctx.input_index(1), out_t = ctx.output_index(0);
  if (dequantize) {
    const std::int64_t rows = table.dim(0), columns = table.elements() / rows, count = ids.elements();
    const float scale = table.quant.scale();
    return [=](const tensor_memory& m) {
      reference::embedding_lookup_dequantize(rows, columns, m.at<const std::int8_t>(table_t), m.at<const std::int32_t>(ids_t),
                                             count, scale, m.at<float>(out_t));
    };
  }
  const gather_geometry g = make_gather_geometry(table.shape.data(), table.rank(), 0, 0, ids.elements());
  const std::size_t bytes = size_of(table.type);
  return [=](const tensor_memory& m) {
    reference::gather(g, bytes, m.at<const void>(table_t), m.at<const std::int32_t>(ids_t), m.at<void>(out_t));
  };
}

inline kernel prepare_gather_nd(const op_context& ctx) {
  ctx.require_io(2, 2, 1);
  const tensor &params = ctx.input(0), &indices = ctx.input(1), &out = ctx.output(0);
  ctx.enforce(gather_nd_rule(describe(params), describe(indices), request_for(out)), {0, 1});
  const int k = indices.shape.back();
  std::int64_t slice = static_cast<std::int64_t>(size_of(params.type));
  for (int d = k; d < params.rank(); ++d) slice *= params.dim(d);
  std::vector<std::int64_t> stride(static_cast<std::size_t>(k));
  std::vector<int> dims(static_cast<std::size_t>(k));
  std::int64_t s = slice;
  for (int d = k - 1; d >= 0; --d) {
    stride[static_cast<std::size_t>(d)] = s;
    dims[static_cast<std::size_t>(d)] = params.dim(d);
    s *= params.dim(d);
  }
  const std::int64_t rows = indices.elements() / k;
  const int p_t = ctx.input_index(0), i_t = ctx.input_index(1), out_t = ctx.output_index(0);
  auto typed = [&]<class Index>(Index*) -> kernel {
    return [=](const tensor_memory& m) {
      reference::gather_nd(m.at<const void>(p_t), m.at<const Index>(i_t), rows, k, dims.data(), stride.data(), slice,
                           m.at<void>(out_t));
    };
  };
  if (indices.type == dtype::i64) return typed(static_cast<std::int64_t*>(nullptr));
  return typed(static_cast<std::int32_t*>(nullptr));
}

/// BROADCAST_TO: the input copied into the constant shape of input 1.
inline kernel prepare_broadcast_to(const op_context& ctx) {
  ctx.require_io(2, 2, 1);
  const tensor& in = ctx.input(0);
  broadcast_to_attrs a;
  a.rank = ctx.constant_ints_into(1, "shape", a.dims);
  ctx.enforce(broadcast_to_rule(a, describe(in), request_for(ctx.output(0))), {0});
  const std::vector<int> target(ctx.output(0).shape);
  const broadcast_geometry g = make_broadcast_geometry(in.shape.data(), in.rank(), target.data(), a.rank);
  const int in_t = ctx.input_index(0), out_t = ctx.output_index(0);
  return detail::by_element_size(ctx, size_of(in.type), [&]<std::size_t Bytes>() -> kernel {
    using T = detail::bytes_of_size<Bytes>;
    return [=](const tensor_memory& m) { reference::broadcast_to(g, m.at<const T>(in_t), m.at<T>(out_t)); };
  });
}

/// BROADCAST_ARGS: the broadcast of two shapes given as values.
inline kernel prepare_broadcast_args(const op_context& ctx) {
  ctx.require_io(2, 2, 1);
  const tensor &a = ctx.input(0), &b = ctx.input(1);
  ctx.enforce(broadcast_args_rule(describe(a), describe(b), request_for(ctx.output(0))), {0, 1});
  const std::int64_t a_n = a.elements(), b_n = b.elements(), out_n = ctx.output(0).elements();
  const int a_t = ctx.input_index(0), b_t = ctx.input_index(1), out_t = ctx.output_index(0);
  auto typed = [&]<class T>(T*) -> kernel {
    return [=](const tensor_memory& m) {
      reference::broadcast_args(m.at<const T>(a_t), a_n, m.at<const T>(b_t), b_n, m.at<T>(out_t), out_n);
    };
  };
  if (a.type == dtype::i64) return typed(static_cast<std::int64_t*>(nullptr));
  return typed(static_cast<std::int32_t*>(nullptr));
}

/// DYNAMIC_UPDATE_SLICE: the operand with the update written at the start
/// indices (read every invoke: they may be a model input).
inline kernel prepare_dynamic_update_slice(const op_context& ctx) {
  ctx.require_io(3, 3, 1);
  const tensor &operand = ctx.input(0), &update = ctx.input(1), &start = ctx.input(2);
  ctx.enforce(dynamic_update_slice_rule(describe(operand), describe(update), describe(start), request_for(ctx.output(0))),
              {0, 1, 2});
  const std::vector<int> operand_dims = operand.shape, update_dims = update.shape;
  const std::size_t bytes = size_of(operand.type);
  const int o_t = ctx.input_index(0), u_t = ctx.input_index(1), s_t = ctx.input_index(2), out_t = ctx.output_index(0);
  auto typed = [&]<class Index>(Index*) -> kernel {
    return [=](const tensor_memory& m) {
      reference::dynamic_update_slice(static_cast<int>(operand_dims.size()), operand_dims.data(), update_dims.data(),
                                      bytes, m.at<const void>(o_t), m.at<const void>(u_t), m.at<const Index>(s_t),
                                      m.at<void>(out_t));
    };
  };
  if (start.type == dtype::i64) return typed(static_cast<std::int64_t*>(nullptr));
  return typed(static_cast<std::int32_t*>(nullptr));
}

/// SHAPE: the input's dimensions (the input's values are not read).
inline kernel prepare_shape(const op_context& ctx) {
  ctx.require_io(1, 1, 1);
  const tensor &in = ctx.input(0), &out = ctx.output(0);
  ctx.enforce(shape_rule(describe(in), request_for(out)), {0});
  const std::vector<int> dims = in.shape;
  const int out_t = ctx.output_index(0);
  if (out.type == dtype::i64)
    return [=](const tensor_memory& m) { reference::shape_of(dims.data(), static_cast<int>(dims.size()), m.at<std::int64_t>(out_t)); };
  return [=](const tensor_memory& m) { reference::shape_of(dims.data(), static_cast<int>(dims.size()), m.at<std::int32_t>(out_t)); };
}

/// FILL: the scalar input 1 in the shape of the constant input 0.
inline kernel prepare_fill(const op_context& ctx) {
  ctx.require_io(2, 2, 1);
  const tensor& value = ctx.input(1);
  fill_attrs a;
  a.rank = ctx.constant_ints_into(0, "dims", a.dims);
  ctx.enforce(fill_rule(a, describe(value), request_for(ctx.output(0))), {1});
  const std::int64_t n = ctx.output(0).elements();
  const int v_t = ctx.input_index(1), out_t = ctx.output_index(0);
  return detail::by_element_size(ctx, size_of(value.type), [&]<std::size_t Bytes>() -> kernel {
    using T = detail::bytes_of_size<Bytes>;
    return [=](const tensor_memory& m) { reference::fill(n, m.at<const T>(v_t), m.at<T>(out_t)); };
  });
}

/// ZEROS_LIKE: zero bytes in the input's type and shape.
inline kernel prepare_zeros_like(const op_context& ctx) {
  ctx.require_io(1, 1, 1);
  ctx.enforce(zeros_like_rule(describe(ctx.input(0)), request_for(ctx.output(0))), {0});
  const std::size_t bytes = ctx.output(0).bytes();
  const int out_t = ctx.output_index(0);
  return [=](const tensor_memory& m) { reference::zeros(bytes, m.at<void>(out_t)); };
}

/// SELECT_V2: condition ? x : y, the values moved as bytes of their size.
inline kernel prepare_select_v2(const op_context& ctx) {
  ctx.require_io(3, 3, 1);
  const tensor &c = ctx.input(0), &x = ctx.input(1), &y = ctx.input(2);
  ctx.enforce(select_rule(describe(c), describe(x), describe(y), request_for(ctx.output(0))), {0, 1, 2});
  const select_geometry g = make_select_geometry({c.shape.data(), x.shape.data(), y.shape.data()},
                                                 {c.rank(), x.rank(), y.rank()});
  const int c_t = ctx.input_index(0), x_t = ctx.input_index(1), y_t = ctx.input_index(2), out_t = ctx.output_index(0);
  return detail::by_element_size(ctx, size_of(x.type), [&]<std::size_t Bytes>() -> kernel {
    using T = detail::bytes_of_size<Bytes>;
    return [=](const tensor_memory& m) {
      reference::select(g, m.at<const bool>(c_t), m.at<const T>(x_t), m.at<const T>(y_t), m.at<T>(out_t));
    };
  });
}

namespace detail {
/// SPLIT's and SPLIT_V's copy: input `data` along `axis` into the op's
/// outputs, output i taking sizes[i] of the axis; checks each output.
inline kernel split_kernel(const op_context& ctx, int data, int axis, const std::vector<int>& sizes) {
  const tensor& in = ctx.input(data);
  const int in_t = ctx.input_index(data);
  std::vector<int> outputs;
  std::vector<std::int64_t> parts;
  std::int64_t outer = 1, row = static_cast<std::int64_t>(size_of(in.type));
  for (int d = 0; d < axis; ++d) outer *= in.dim(d);
  for (int d = axis + 1; d < in.rank(); ++d) row *= in.dim(d);
  for (int i = 0; i < ctx.output_count(); ++i) {
    std::vector<int> expected = in.shape;
    expected[static_cast<std::size_t>(axis)] = sizes[static_cast<std::size_t>(i)];
    require_same_type(ctx, in, ctx.output(i));
    ctx.require(ctx.output(i).shape == expected, "output " + std::to_string(i) + " shape " +
                                                     shape_text(ctx.output(i).shape) + " should be " +
                                                     shape_text(expected));
    outputs.push_back(ctx.output_index(i));
    parts.push_back(row * sizes[static_cast<std::size_t>(i)]);
  }
  return [=](const tensor_memory& m) {
    const auto* src = m.at<const unsigned char>(in_t);
    for (std::int64_t k = 0; k < outer; ++k)
      for (std::size_t i = 0; i < outputs.size(); ++i) {
        std::memcpy(m.at<unsigned char>(outputs[i]) + k * parts[i], src, static_cast<std::size_t>(parts[i]));
        src += parts[i];
      }
  };
}
}  // namespace detail

inline kernel prepare_split(const op_context& ctx) {
  ctx.require(ctx.input_count() == 2 && ctx.output_count() >= 1, "takes 2 inputs (axis, value) and 1+ outputs");
  const auto axis_v = ctx.constant_ints(0, "axis");
  ctx.require(axis_v.size() == 1, "axis must be a scalar");
  const tensor& in = ctx.input(1);
  const int axis = detail::normalized_axis(ctx, axis_v[0], in.rank());
  const int n = ctx.output_count();
  ctx.require(in.dim(axis) % n == 0, "dimension " + std::to_string(in.dim(axis)) + " does not split into " +
                                         std::to_string(n) + " equal parts");
  return detail::split_kernel(ctx, 1, axis, std::vector<int>(static_cast<std::size_t>(n), in.dim(axis) / n));
}

/// SPLIT_V: input 0 split along the constant axis (input 2) into parts of
/// the constant size_splits (input 1; one entry may be -1, the rest).
inline kernel prepare_split_v(const op_context& ctx) {
  ctx.require(ctx.input_count() == 3 && ctx.output_count() >= 1, "takes 3 inputs (value, size_splits, axis) and 1+ outputs");
  const tensor& in = ctx.input(0);
  const auto axis_v = ctx.constant_ints(2, "axis");
  ctx.require(axis_v.size() == 1, "axis must be a scalar");
  const int axis = detail::normalized_axis(ctx, axis_v[0], in.rank());
  const auto given = ctx.constant_ints(1, "size_splits");
  const int n = ctx.output_count();
  ctx.require(static_cast<int>(given.size()) == n, "size_splits holds " + std::to_string(given.size()) +
                                                       " sizes for " + std::to_string(n) + " outputs");
  std::vector<int> sizes;
  std::int64_t known = 0;
  int inferred = -1;
  for (int i = 0; i < n; ++i) {
    const std::int64_t s = given[static_cast<std::size_t>(i)];
    ctx.require(s >= -1 && (s != -1 || inferred < 0), "size_splits must be sizes >= 0, with at most one -1");
    if (s == -1) inferred = i;
    else known += s;
    sizes.push_back(static_cast<int>(s));
  }
  if (inferred >= 0) sizes[static_cast<std::size_t>(inferred)] = static_cast<int>(in.dim(axis) - known);
  ctx.require(inferred >= 0 ? known <= in.dim(axis) : known == in.dim(axis),
              "size_splits add up to " + std::to_string(known) + ", but dimension " + std::to_string(axis) + " is " +
                  std::to_string(in.dim(axis)));
  return detail::split_kernel(ctx, 0, axis, sizes);
}

}  // namespace qfence::runtime::ops

QFENCE_EXACT_FLOAT_END

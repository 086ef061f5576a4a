// qfence/runtime/op_registry.hpp: which builtin ops the runtime path runs,
// which versions of each it accepts, and the prepare function of each.
//
// Versions: an op's version says which features the converter used (e.g.
// CONV_2D v3 = per-channel int8, v4 = int16x8). qfence accepts the versions
// TFLite's BuiltinOpResolver (kernels/register.cc) registers for the op (TFLM
// does not check versions at all); its kernels then check the actual dtypes,
// so an accepted version with an unsupported dtype combination still fails
// with a message naming the types.
#pragma once

#include <cstdint>
#include <string_view>

#include "qfence/core/exact_float.hpp"
#include "qfence/runtime/op_context.hpp"
#include "qfence/runtime/ops/circular_buffer.hpp"
#include "qfence/runtime/ops/control_flow.hpp"
#include "qfence/runtime/ops/conv.hpp"
#include "qfence/runtime/ops/decode.hpp"
#include "qfence/runtime/ops/detection_postprocess.hpp"
#include "qfence/runtime/ops/elementwise.hpp"
#include "qfence/runtime/ops/layout.hpp"
#include "qfence/runtime/ops/lstm.hpp"
#include "qfence/runtime/ops/matmul.hpp"
#include "qfence/runtime/ops/reduce.hpp"
#include "qfence/runtime/ops/resize.hpp"
#include "qfence/runtime/ops/signal/energy.hpp"
#include "qfence/runtime/ops/signal/fft.hpp"
#include "qfence/runtime/ops/signal/filter_bank.hpp"
#include "qfence/runtime/ops/signal/framing.hpp"
#include "qfence/runtime/ops/signal/pcan.hpp"
#include "qfence/runtime/ops/signal/window.hpp"
#include "qfence/runtime/ops/svdf.hpp"
#include "qfence/runtime/ops/unary.hpp"
#include "qfence/runtime/op_code.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::runtime {

struct op_registration {
  op_code op;
  int max_version;
  kernel (*prepare)(const op_context&);
};

inline constexpr op_registration op_registrations[] = {
    {op_code::abs, 5, ops::prepare_unary_math<op::abs>},
    {op_code::add, 5, ops::prepare_add},
    {op_code::add_n, 1, ops::prepare_add_n},
    {op_code::arg_max, 3, ops::prepare_arg_extreme<true>},
    {op_code::arg_min, 3, ops::prepare_arg_extreme<false>},
    {op_code::assign_variable, 1, ops::prepare_assign_variable},
    {op_code::average_pool_2d, 3, ops::prepare_average_pool2d},
    {op_code::batch_matmul, 3, ops::prepare_batch_matmul},
    {op_code::batch_to_space_nd, 4, ops::prepare_space_batch<false>},
    {op_code::broadcast_args, 1, ops::prepare_broadcast_args},
    {op_code::broadcast_to, 4, ops::prepare_broadcast_to},
    {op_code::call_once, 1, ops::prepare_call_once},
    {op_code::cast, 7, ops::prepare_cast},
    {op_code::ceil, 1, ops::prepare_unary_math<op::ceil>},
    {op_code::concatenation, 4, ops::prepare_concatenation},
    {op_code::conv_2d, 8, ops::prepare_conv2d},
    {op_code::cos, 2, ops::prepare_unary_math<op::cos>},
    {op_code::cumsum, 1, ops::prepare_cumsum},
    {op_code::depth_to_space, 2, ops::prepare_space_depth<true>},
    {op_code::depthwise_conv_2d, 7, ops::prepare_depthwise_conv2d},
    {op_code::dynamic_update_slice, 1, ops::prepare_dynamic_update_slice},
    {op_code::dequantize, 6, ops::prepare_dequantize},
    {op_code::div, 2, ops::prepare_div},
    {op_code::elu, 1, ops::prepare_unary_math<op::elu>},
    {op_code::embedding_lookup, 3, ops::prepare_embedding_lookup},
    {op_code::equal, 5, ops::prepare_comparison<op::equal>},
    {op_code::exp, 2, ops::prepare_unary_math<op::exp>},
    {op_code::expand_dims, 1, ops::prepare_expand_dims},
    {op_code::floor, 1, ops::prepare_unary_math<op::floor>},
    {op_code::floor_div, 3, ops::prepare_floor_div},
    {op_code::fill, 5, ops::prepare_fill},
    {op_code::floor_mod, 2, ops::prepare_floor_mod},
    {op_code::fully_connected, 13, ops::prepare_fully_connected},
    {op_code::gather, 8, ops::prepare_gather},
    {op_code::gather_nd, 5, ops::prepare_gather_nd},
    {op_code::greater, 2, ops::prepare_comparison<op::greater>},
    {op_code::greater_equal, 3, ops::prepare_comparison<op::greater_equal>},
    {op_code::if_, 1, ops::prepare_if},
    {op_code::l2_pool_2d, 1, ops::prepare_l2_pool2d},
    {op_code::gelu, 2, ops::prepare_gelu},
    {op_code::hard_swish, 1, ops::prepare_unary_math<op::hard_swish>},
    {op_code::l2_normalization, 2, ops::prepare_l2_normalization},
    {op_code::leaky_relu, 2, ops::prepare_leaky_relu},
    {op_code::less, 3, ops::prepare_comparison<op::less>},
    {op_code::less_equal, 2, ops::prepare_comparison<op::less_equal>},
    {op_code::log, 2, ops::prepare_unary_math<op::log>},
    {op_code::log_softmax, 2, ops::prepare_log_softmax},
    {op_code::logical_and, 1, ops::prepare_logical_and},
    {op_code::logical_not, 1, ops::prepare_logical_not},
    {op_code::logical_or, 1, ops::prepare_logical_or},
    {op_code::logistic, 3, ops::prepare_logistic},
    {op_code::max_pool_2d, 3, ops::prepare_max_pool2d},
    {op_code::maximum, 4, ops::prepare_maximum},
    {op_code::mean, 3, ops::prepare_reduce<reduction::mean>},
    {op_code::minimum, 4, ops::prepare_minimum},
    {op_code::mirror_pad, 3, ops::prepare_mirror_pad},
    {op_code::mul, 7, ops::prepare_mul},
    {op_code::neg, 1, ops::prepare_unary_math<op::neg>},
    {op_code::not_equal, 4, ops::prepare_comparison<op::not_equal>},
    {op_code::pack, 4, ops::prepare_pack},
    {op_code::pad, 5, ops::prepare_pad},
    {op_code::padv2, 6, ops::prepare_pad},
    {op_code::prelu, 1, ops::prepare_prelu},
    {op_code::quantize, 4, ops::prepare_quantize},
    {op_code::read_variable, 1, ops::prepare_read_variable},
    {op_code::reduce_all, 1, ops::prepare_reduce<reduction::all>},
    {op_code::reduce_max, 3, ops::prepare_reduce<reduction::max>},
    {op_code::reduce_min, 3, ops::prepare_reduce<reduction::min>},
    {op_code::relu, 3, ops::prepare_relu},
    {op_code::relu6, 3, ops::prepare_relu6},
    {op_code::reshape, 1, ops::prepare_reshape},
    {op_code::resize_bilinear, 4, ops::prepare_resize_bilinear},
    {op_code::resize_nearest_neighbor, 4, ops::prepare_resize_nearest_neighbor},
    {op_code::reverse_v2, 4, ops::prepare_reverse_v2},
    {op_code::round, 1, ops::prepare_unary_math<op::round>},
    {op_code::rsqrt, 3, ops::prepare_unary_math<op::rsqrt>},
    {op_code::select_v2, 2, ops::prepare_select_v2},
    {op_code::shape, 1, ops::prepare_shape},
    {op_code::sin, 2, ops::prepare_unary_math<op::sin>},
    {op_code::slice, 8, ops::prepare_slice},
    {op_code::softmax, 3, ops::prepare_softmax},
    {op_code::space_to_batch_nd, 4, ops::prepare_space_batch<true>},
    {op_code::space_to_depth, 2, ops::prepare_space_depth<false>},
    {op_code::split, 4, ops::prepare_split},
    {op_code::split_v, 3, ops::prepare_split_v},
    {op_code::sqrt, 2, ops::prepare_unary_math<op::sqrt>},
    {op_code::square, 1, ops::prepare_unary_math<op::square>},
    {op_code::squared_difference, 2, ops::prepare_squared_difference},
    {op_code::squeeze, 2, ops::prepare_squeeze},
    {op_code::strided_slice, 8, ops::prepare_strided_slice},
    {op_code::sub, 5, ops::prepare_sub},
    {op_code::sum, 2, ops::prepare_reduce<reduction::sum>},
    {op_code::svdf, 4, ops::prepare_svdf},
    {op_code::tanh, 3, ops::prepare_tanh},
    {op_code::transpose, 7, ops::prepare_transpose},
    {op_code::transpose_conv, 5, ops::prepare_transpose_conv},
    {op_code::unidirectional_sequence_lstm, 4, ops::prepare_unidirectional_sequence_lstm},
    {op_code::unpack, 4, ops::prepare_unpack},
    {op_code::var_handle, 1, ops::prepare_var_handle},
    {op_code::while_, 1, ops::prepare_while},
    {op_code::zeros_like, 1, ops::prepare_zeros_like},
};

inline const op_registration* find_registration(op_code code) noexcept {
  for (const auto& r : op_registrations)
    if (r.op == code) return &r;
  return nullptr;
}

/// A custom op qfence ships (TFLM ships it too), known by its custom code.
/// Custom ops carry no version TFLite checks: any is accepted.
struct custom_op_registration {
  std::string_view custom_code;
  kernel (*prepare)(const op_context&);
};

inline constexpr custom_op_registration shipped_custom_ops[] = {
    {circular_buffer_code, ops::prepare_circular_buffer},
    {detection_postprocess_code, ops::prepare_detection_postprocess},
    // TFLM's signal library (the audio front end of micro_speech)
    {signal_delay_code, ops::prepare_signal_delay},
    {signal_energy_code, ops::prepare_signal_energy},
    {signal_fft_auto_scale_code, ops::prepare_signal_fft_auto_scale},
    {signal_filter_bank_code, ops::prepare_signal_filter_bank},
    {signal_filter_bank_log_code, ops::prepare_signal_filter_bank_log},
    {signal_filter_bank_spectral_subtraction_code, ops::prepare_signal_filter_bank_spectral_subtraction},
    {signal_filter_bank_square_root_code, ops::prepare_signal_filter_bank_square_root},
    {signal_framer_code, ops::prepare_signal_framer},
    {signal_irfft_code, ops::prepare_signal_irfft},
    {signal_overlap_add_code, ops::prepare_signal_overlap_add},
    {signal_pcan_code, ops::prepare_signal_pcan},
    {signal_rfft_code, ops::prepare_signal_rfft},
    {signal_stacker_code, ops::prepare_signal_stacker},
    {signal_window_code, ops::prepare_signal_window},
    {tflm_decode_code, ops::prepare_tflm_decode},  // TFLM's weight compression
};

/// The shipped implementation of custom op `op`, if qfence ships one.
inline const custom_op_registration* find_shipped_custom_op(const operation& op) noexcept {
  if (!op.is_custom()) return nullptr;
  for (const auto& r : shipped_custom_ops)
    if (r.custom_code == op.custom_code) return &r;
  return nullptr;
}

/// qfence's own preparation of `op`: its builtin's, or its custom op's when
/// qfence ships it; none for an op qfence does not implement (an
/// application's custom op, an op code without a kernel).
inline auto find_own_prepare(const operation& op) noexcept -> kernel (*)(const op_context&) {
  if (op.is_custom()) {
    const custom_op_registration* shipped = find_shipped_custom_op(op);
    return shipped != nullptr ? shipped->prepare : nullptr;
  }
  const op_registration* r = find_registration(op.code);
  return r != nullptr ? r->prepare : nullptr;
}

}  // namespace qfence::runtime

QFENCE_EXACT_FLOAT_END

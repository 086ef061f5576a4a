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

#include "qfence/core/exact_float.hpp"
#include "qfence/runtime/op_context.hpp"
#include "qfence/runtime/ops/conv.hpp"
#include "qfence/runtime/ops/elementwise.hpp"
#include "qfence/runtime/ops/layout.hpp"
#include "qfence/runtime/ops/reduce.hpp"
#include "qfence/runtime/ops/resize.hpp"
#include "qfence/runtime/ops/svdf.hpp"
#include "qfence/runtime/ops/unary.hpp"
#include "qfence/tflite/builtin_op.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::runtime {

struct op_registration {
  tflite::builtin_op op;
  int max_version;
  kernel (*prepare)(const op_context&);
};

inline constexpr op_registration op_registrations[] = {
    {tflite::builtin_op::add, 5, ops::prepare_add},
    {tflite::builtin_op::arg_max, 3, ops::prepare_arg_max},
    {tflite::builtin_op::cast, 7, ops::prepare_cast},
    {tflite::builtin_op::average_pool_2d, 3, ops::prepare_average_pool2d},
    {tflite::builtin_op::concatenation, 4, ops::prepare_concatenation},
    {tflite::builtin_op::conv_2d, 8, ops::prepare_conv2d},
    {tflite::builtin_op::depthwise_conv_2d, 7, ops::prepare_depthwise_conv2d},
    {tflite::builtin_op::dequantize, 6, ops::prepare_dequantize},
    {tflite::builtin_op::div, 2, ops::prepare_div},
    {tflite::builtin_op::floor_div, 3, ops::prepare_floor_div},
    {tflite::builtin_op::fully_connected, 13, ops::prepare_fully_connected},
    {tflite::builtin_op::gather_nd, 5, ops::prepare_gather_nd},
    {tflite::builtin_op::leaky_relu, 2, ops::prepare_leaky_relu},
    {tflite::builtin_op::logistic, 3, ops::prepare_logistic},
    {tflite::builtin_op::maximum, 4, ops::prepare_maximum},
    {tflite::builtin_op::max_pool_2d, 3, ops::prepare_max_pool2d},
    {tflite::builtin_op::mean, 3, ops::prepare_mean},
    {tflite::builtin_op::minimum, 4, ops::prepare_minimum},
    {tflite::builtin_op::mul, 7, ops::prepare_mul},
    {tflite::builtin_op::pack, 4, ops::prepare_pack},
    {tflite::builtin_op::pad, 5, ops::prepare_pad},
    {tflite::builtin_op::quantize, 4, ops::prepare_quantize},
    {tflite::builtin_op::relu, 3, ops::prepare_relu},
    {tflite::builtin_op::relu6, 3, ops::prepare_relu6},
    {tflite::builtin_op::reshape, 1, ops::prepare_reshape},
    {tflite::builtin_op::resize_bilinear, 4, ops::prepare_resize_bilinear},
    {tflite::builtin_op::resize_nearest_neighbor, 4, ops::prepare_resize_nearest_neighbor},
    {tflite::builtin_op::softmax, 3, ops::prepare_softmax},
    {tflite::builtin_op::split, 4, ops::prepare_split},
    {tflite::builtin_op::sqrt, 2, ops::prepare_sqrt},
    {tflite::builtin_op::tanh, 3, ops::prepare_tanh},
    {tflite::builtin_op::strided_slice, 8, ops::prepare_strided_slice},
    {tflite::builtin_op::sub, 5, ops::prepare_sub},
    {tflite::builtin_op::svdf, 4, ops::prepare_svdf},
    {tflite::builtin_op::transpose, 7, ops::prepare_transpose},
    {tflite::builtin_op::transpose_conv, 5, ops::prepare_transpose_conv},
    {tflite::builtin_op::unpack, 4, ops::prepare_unpack},
};

inline const op_registration* find_registration(std::int32_t code) noexcept {
  for (const auto& r : op_registrations)
    if (static_cast<std::int32_t>(r.op) == code) return &r;
  return nullptr;
}

}  // namespace qfence::runtime

QFENCE_EXACT_FLOAT_END

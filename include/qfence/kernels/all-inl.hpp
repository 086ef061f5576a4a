// qfence/kernels/all-inl.hpp: every per-target kernel file, the one
// HWY_TARGET_INCLUDE that kernels/dispatch.hpp hands to foreach_target.h.
#include "qfence/core/exact_float.hpp"
#include "qfence/kernels/add-inl.hpp"
#include "qfence/kernels/arg_max-inl.hpp"
#include "qfence/kernels/arithmetic-inl.hpp"
#include "qfence/kernels/conv2d-inl.hpp"
#include "qfence/kernels/conv2d_float-inl.hpp"
#include "qfence/kernels/conv2d_int16x8-inl.hpp"
#include "qfence/kernels/depthwise_conv2d-inl.hpp"
#include "qfence/kernels/depthwise_conv2d_float-inl.hpp"
#include "qfence/kernels/lookup_bytes-inl.hpp"
#include "qfence/kernels/lookup_interpolated-inl.hpp"
#include "qfence/kernels/mul-inl.hpp"
#include "qfence/kernels/pool-inl.hpp"
#include "qfence/kernels/quantize-inl.hpp"
#include "qfence/kernels/reduce-inl.hpp"
#include "qfence/kernels/resize_bilinear-inl.hpp"
#include "qfence/kernels/softmax-inl.hpp"
#include "qfence/kernels/svdf-inl.hpp"
#include "qfence/kernels/transpose-inl.hpp"
#include "qfence/kernels/unary_math-inl.hpp"

QFENCE_EXACT_FLOAT_BEGIN
QFENCE_EXACT_FLOAT_END

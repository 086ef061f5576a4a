// qfence/kernels/reference/broadcast_to.hpp: BROADCAST_TO, the input's
// values copied into a larger shape (TFLM's BroadcastTo): the runs of the
// broadcast geometry (core/broadcast.hpp) are copies where the input steps
// and fills where it is broadcast. BROADCAST_ARGS, the broadcast of two
// shapes given as values (TFLM's BroadcastArgs).
#pragma once

#include <cstdint>
#include <cstring>

#include "qfence/core/broadcast.hpp"
#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::reference {

/// `g`: the geometry of the input (operand a) against the output shape
/// (operand b); T any element type.
template <class T>
inline void broadcast_to(const broadcast_geometry& g, const T* in, T* out) noexcept {
  for_each_broadcast_run(g, [&](std::int64_t o, std::int64_t ia, std::int64_t, std::int64_t length, std::int64_t step_a,
                                std::int64_t) {
    if (step_a == 1) {
      std::memcpy(out + o, in + ia, static_cast<std::size_t>(length) * sizeof(T));
    } else {
      for (std::int64_t i = 0; i < length; ++i) out[o + i] = in[ia + i * step_a];
    }
  });
}

/// BROADCAST_ARGS: `out_n` dimensions, aligned from the back (a missing one
/// is 1). Two dimensions that differ and are not 1 do not broadcast: TFLM
/// stops (TFLITE_CHECK); here the first shape's dimension is written.
template <class T>
inline void broadcast_args(const T* a, std::int64_t a_n, const T* b, std::int64_t b_n, T* out,
                           std::int64_t out_n) noexcept {
  for (std::int64_t i = 0; i < out_n; ++i) {
    const T da = i < a_n ? a[a_n - 1 - i] : T{1};
    const T db = i < b_n ? b[b_n - 1 - i] : T{1};
    out[out_n - 1 - i] = da == 1 ? db : da;
  }
}

}  // namespace qfence::reference

QFENCE_EXACT_FLOAT_END

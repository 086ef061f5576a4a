// qfence/kernels/reference/signal/framing.hpp: the streaming ops of TFLM's
// signal library, which keep samples across invokes: SignalDelay,
// SignalFramer, SignalStacker and SignalOverlapAdd (signal/micro/kernels/
// delay.cc, framer.cc, stacker.cc, overlap_add.cc).
//
// TFLM keeps their samples in its int16 ring buffer (signal/src/
// circular_buffer.cc); what they output depends only on the order of the
// samples in it, so each is kept here as a plain queue (oldest first) with
// its count, which gives the same values invoke by invoke. Every state
// starts at zero (its reset), so a zeroed buffer is a reset one: counts are
// kept relative to the count a reset leaves (Framer's prefill).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::reference::signal {

/// SignalDelay on `rows` rows of `frame` samples: each row's output is its
/// last `delay` samples from earlier invokes (zeros after a reset) followed
/// by its input, cut to `frame` samples; `state` [rows, delay] keeps the
/// rest. `combined` is scratch of delay + frame samples.
inline void delay(const std::int16_t* in, std::int64_t rows, std::int64_t frame, std::int64_t delay_length,
                  std::int16_t* state, std::int16_t* combined, std::int16_t* out) noexcept {
  const auto d = static_cast<std::size_t>(delay_length), f = static_cast<std::size_t>(frame);
  for (std::int64_t r = 0; r < rows; ++r) {
    std::int16_t* s = state + static_cast<std::size_t>(r) * d;
    std::copy_n(s, d, combined);
    std::copy_n(in + static_cast<std::size_t>(r) * f, f, combined + d);
    std::copy_n(combined, f, out + static_cast<std::size_t>(r) * f);
    std::copy_n(combined + f, d, s);
  }
}

/// SignalFramer's shape: frames of `frame_size` taken every `frame_step`
/// samples, with (prefill) frame_size - frame_step zeros before the first.
struct framer_geometry {
  std::int64_t frame_size = 0, frame_step = 0;
  bool prefill = false;
  /// TFLM's ring capacity: frame_size rounded up to whole steps.
  constexpr std::int64_t capacity() const noexcept { return (frame_size + frame_step - 1) / frame_step * frame_step; }
  /// The samples a reset leaves queued (zeros).
  constexpr std::int64_t prefilled() const noexcept { return prefill ? frame_size - frame_step : 0; }
};

/// One invoke of SignalFramer on `rows` rows of `steps` * frame_step
/// samples. Per row, `queue` [capacity] holds the queued samples, oldest
/// first, and `queued[row]` their count less the prefill (0 after a reset).
/// Each step appends frame_step samples; when a frame's worth is queued it
/// is output (`out` [rows, steps, frame_size]) and frame_step samples leave;
/// otherwise that frame of `out` keeps its bytes and the invoke's output is
/// not valid. Returns whether every frame was output.
inline bool framer(const framer_geometry& g, const std::int16_t* in, std::int64_t rows, std::int64_t steps,
                   std::int16_t* queue, std::int32_t* queued, std::int16_t* out) noexcept {
  const auto size = static_cast<std::size_t>(g.frame_size), step = static_cast<std::size_t>(g.frame_step);
  const auto capacity = static_cast<std::size_t>(g.capacity());
  bool valid = true;
  for (std::int64_t r = 0; r < rows; ++r) {
    std::int16_t* q = queue + static_cast<std::size_t>(r) * capacity;
    auto count = static_cast<std::size_t>(queued[r] + g.prefilled());
    for (std::int64_t k = 0; k < steps; ++k) {
      const std::size_t frame = static_cast<std::size_t>(r * steps + k);
      std::copy_n(in + frame * step, step, q + count);
      count += step;
      if (count >= size) {
        std::copy_n(q, size, out + frame * size);
        std::copy(q + step, q + count, q);
        count -= step;
      } else {
        valid = false;
      }
    }
    queued[r] = static_cast<std::int32_t>(static_cast<std::int64_t>(count) - g.prefilled());
  }
  return valid;
}

/// SignalStacker's shape: each output stacks `left` frames before and
/// `right` after one of `channels` values, every `step` frames.
struct stacker_geometry {
  std::int64_t channels = 0, left = 0, right = 0, step = 0;
  constexpr std::int64_t frames() const noexcept { return left + right + 1; }
};

/// One invoke of SignalStacker: appends a frame of `channels` values to
/// `queue` [frames() * channels] (`queued`: frames held; `started`: whether
/// a first frame came since the reset, which TFLM repeats `left` times);
/// when it holds frames() frames, they are the output and `step` leave.
/// Returns whether this invoke output (else `out` keeps its bytes).
inline bool stacker(const stacker_geometry& g, const std::int16_t* in, std::int16_t* queue, std::int32_t& queued,
                    std::int32_t& started, std::int16_t* out) noexcept {
  const auto c = static_cast<std::size_t>(g.channels);
  auto held = static_cast<std::size_t>(queued);
  std::copy_n(in, c, queue + held * c);
  ++held;
  if (started == 0) {
    for (std::int64_t k = 0; k < g.left; ++k, ++held) std::copy_n(in, c, queue + held * c);
    started = 1;
  }
  const bool output = held >= static_cast<std::size_t>(g.frames());
  if (output) {
    std::copy_n(queue, static_cast<std::size_t>(g.frames()) * c, out);
    const auto gone = static_cast<std::size_t>(g.step);
    std::copy(queue + gone * c, queue + held * c, queue);
    held -= gone;
  }
  queued = static_cast<std::int32_t>(held);
  return output;
}

/// One sample of SignalOverlapAdd's accumulation: int16 saturates, float adds.
constexpr std::int16_t overlap_sum(std::int16_t a, std::int16_t b) noexcept {
  const std::int32_t s = std::int32_t{a} + b;
  return static_cast<std::int16_t>(s < INT16_MIN ? INT16_MIN : s > INT16_MAX ? INT16_MAX : s);
}
constexpr float overlap_sum(float buffered, float in) noexcept { return buffered + in; }

/// SignalOverlapAdd on `rows` rows of `frames` frames of `frame_size`: each
/// frame is added into the row's `state` [frame_size] (what earlier frames
/// left), whose first `frame_step` values are output and leave it.
template <class T>
void overlap_add(const T* in, std::int64_t rows, std::int64_t frames, std::int64_t frame_size, std::int64_t frame_step,
                 T* state, T* out) noexcept {
  const auto size = static_cast<std::size_t>(frame_size), step = static_cast<std::size_t>(frame_step);
  for (std::int64_t r = 0; r < rows; ++r) {
    T* buffer = state + static_cast<std::size_t>(r) * size;
    for (std::int64_t f = 0; f < frames; ++f) {
      const std::size_t frame = static_cast<std::size_t>(r * frames + f);
      const T* x = in + frame * size;
      for (std::size_t i = 0; i < size; ++i) buffer[i] = overlap_sum(buffer[i], x[i]);
      std::copy_n(buffer, step, out + frame * step);
      std::copy(buffer + step, buffer + size, buffer);
      std::fill(buffer + (size - step), buffer + size, T{});
    }
  }
}

}  // namespace qfence::reference::signal

QFENCE_EXACT_FLOAT_END

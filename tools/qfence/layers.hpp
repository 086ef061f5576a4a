// qfence/layers.hpp: `qfence layers`, per-layer figures of one model on the
// runtime path and this machine's int8 multiply-accumulate peak, measured
// side by side in one run (scripts/bench prints them; nothing here asserts
// a time). A command of the CLI rather than a program of its own: it runs
// the same kernels, and a second program compiling every target's kernels
// cost CI five minutes.
//
//   qfence layers MODEL.tflite [--repeat N] [--target NAME] [--json]
//
// Per operation the interpreter runs (PADs folded into their layer are not
// rows; rows carry the file's operator index): its minimum time over N
// invokes (after a warm-up), its multiply-accumulates (convolutions,
// depthwise, fully connected), GMAC/s and the share of the peak. The peak is
// a calibrated loop of independent vpdpbusd (AVX-512 VNNI: 64 int8 MACs
// each), the instruction the int8 kernels are built on; on a CPU without it
// the peak column is left empty.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "json.hpp"
#include "qfence/kernels/target.hpp"
#include "qfence/runtime/interpreter.hpp"
#include "qfence/tflite/reader.hpp"
#include "seeded_input.hpp"

namespace qfence::cli {

#if defined(__x86_64__)
/// Int8 MACs per second of `rounds` x 16 independent 512-bit vpdpbusd (16
/// chains cover its latency of 4-5 cycles at two per cycle).
__attribute__((target("avx512f,avx512vnni"), noinline)) inline double vpdpbusd_rate(std::int64_t rounds) {
  using v16 = int __attribute__((vector_size(64)));
  const v16 a = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, b = a;
  v16 c0 = a, c1 = a, c2 = a, c3 = a, c4 = a, c5 = a, c6 = a, c7 = a;
  v16 c8 = a, c9 = a, c10 = a, c11 = a, c12 = a, c13 = a, c14 = a, c15 = a;
  const auto t0 = std::chrono::steady_clock::now();
  for (std::int64_t r = 0; r < rounds; ++r) {
    asm volatile(
        "vpdpbusd %[b], %[a], %[c0]\n\tvpdpbusd %[b], %[a], %[c1]\n\tvpdpbusd %[b], %[a], %[c2]\n\t"
        "vpdpbusd %[b], %[a], %[c3]\n\tvpdpbusd %[b], %[a], %[c4]\n\tvpdpbusd %[b], %[a], %[c5]\n\t"
        "vpdpbusd %[b], %[a], %[c6]\n\tvpdpbusd %[b], %[a], %[c7]"
        : [c0] "+v"(c0), [c1] "+v"(c1), [c2] "+v"(c2), [c3] "+v"(c3), [c4] "+v"(c4), [c5] "+v"(c5), [c6] "+v"(c6),
          [c7] "+v"(c7)
        : [a] "v"(a), [b] "v"(b));
    asm volatile(
        "vpdpbusd %[b], %[a], %[c0]\n\tvpdpbusd %[b], %[a], %[c1]\n\tvpdpbusd %[b], %[a], %[c2]\n\t"
        "vpdpbusd %[b], %[a], %[c3]\n\tvpdpbusd %[b], %[a], %[c4]\n\tvpdpbusd %[b], %[a], %[c5]\n\t"
        "vpdpbusd %[b], %[a], %[c6]\n\tvpdpbusd %[b], %[a], %[c7]"
        : [c0] "+v"(c8), [c1] "+v"(c9), [c2] "+v"(c10), [c3] "+v"(c11), [c4] "+v"(c12), [c5] "+v"(c13),
          [c6] "+v"(c14), [c7] "+v"(c15)
        : [a] "v"(a), [b] "v"(b));
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const v16 sum = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11 + c12 + c13 + c14 + c15;
  asm volatile("" : : "v"(sum));
  return static_cast<double>(rounds) * 16.0 * 64.0 / s;
}
#endif

/// The best of several short runs of the peak loop, in GMAC/s (0: no VNNI).
inline double int8_peak_gmacs() {
#if defined(__x86_64__)
  if ((hwy::SupportedTargets() & HWY_AVX3_DL) == 0) return 0;
  double best = 0;
  for (int i = 0; i < 20; ++i) best = std::max(best, vpdpbusd_rate(200000));
  return best / 1e9;
#else
  return 0;
#endif
}

/// Multiply-accumulates of one operation (0 for ops that are not products).
inline double macs_of(const runtime::model& m, const runtime::operation& op) {
  using runtime::op_code;
  const auto& t = [&](int i) -> const runtime::tensor& { return m.tensors[static_cast<std::size_t>(i)]; };
  if (op.inputs.size() < 2 || op.outputs.empty()) return 0;
  const auto& out = t(op.outputs[0]);
  switch (op.code) {
    case op_code::conv_2d: {
      const auto& w = t(op.inputs[1]);
      return static_cast<double>(out.elements()) * w.dim(1) * w.dim(2) * w.dim(3);
    }
    case op_code::depthwise_conv_2d: {
      const auto& w = t(op.inputs[1]);
      return static_cast<double>(out.elements()) * w.dim(1) * w.dim(2);
    }
    case op_code::fully_connected: return static_cast<double>(out.elements()) * t(op.inputs[1]).dim(1);
    default: return 0;
  }
}

/// Prints the per-layer table (or JSON) of `path`.
inline int print_layers(const std::string& path, const std::string& target_name, int repeat, bool as_json) {
  runtime::interpreter_options options;
  if (!target_name.empty()) options.target = kernels::target_named(target_name);
  runtime::interpreter interp(tflite::read_model_file(path), options);
  cli::xorshift32 rng(1);
  for (int i = 0; i < interp.input_count(); ++i) cli::fill_seeded(rng, interp.input_tensor(i).type, interp.input_bytes(i));
  const auto& m = interp.source();
  // What invoke runs (folded PADs are not layers any more); rows are
  // numbered by the file's operator index.
  const auto& operations = interp.operations();
  const std::size_t ops = operations.size();
  std::vector<double> best(ops, 1e300), run(ops);
  interp.invoke();  // warm-up
  for (int r = 0; r < repeat; ++r) {
    interp.invoke_timed(run);
    for (std::size_t k = 0; k < ops; ++k) best[k] = std::min(best[k], run[k]);
  }
  const double peak = int8_peak_gmacs();
  double total_us = 0, total_macs = 0;
  for (std::size_t k = 0; k < ops; ++k) {
    total_us += best[k];
    total_macs += macs_of(m, operations[k]);
  }
  if (as_json) {
    cli::json j;
    j.begin_object();
    j.field("model", path);
    j.field("target", interp.target().name());
    j.field("repeat", repeat);
    j.field("int8_peak_gmacs", peak);
    j.field("sum_of_layer_minima_us", total_us);
    j.field("macs", total_macs);
    j.key("layers").begin_array();
    for (std::size_t k = 0; k < ops; ++k) {
      const double macs = macs_of(m, operations[k]);
      j.begin_object();
      j.field("index", operations[k].index);
      j.field("op", runtime::op_name(operations[k]));
      j.field("output", runtime::type_text(m.tensors[static_cast<std::size_t>(operations[k].outputs.at(0))]));
      j.field("us_min", best[k]);
      j.field("macs", macs);
      j.field("gmacs", macs > 0 ? macs / best[k] / 1e3 : 0.0);
      j.field("peak_share", macs > 0 && peak > 0 ? macs / best[k] / 1e3 / peak : 0.0);
      j.end_object();
    }
    j.end_array();
    j.end_object();
    std::cout << j.str() << "\n";
    return 0;
  }
  std::printf("%s on %s, minimum of %d invokes per layer; int8 peak (vpdpbusd loop): %.1f GMAC/s\n", path.c_str(),
              interp.target().name(), repeat, peak);
  std::printf("%4s  %-18s %-34s %10s %9s %8s %7s\n", "#", "op", "output", "us", "MMAC", "GMAC/s", "% peak");
  for (std::size_t k = 0; k < ops; ++k) {
    const double macs = macs_of(m, operations[k]);
    const std::string out = runtime::type_text(m.tensors[static_cast<std::size_t>(operations[k].outputs.at(0))]);
    std::printf("%4d  %-18s %-34.34s %10.1f", operations[k].index, runtime::op_name(operations[k]).c_str(),
                out.c_str(), best[k]);
    if (macs > 0)
      std::printf(" %9.2f %8.1f %6.1f%%\n", macs / 1e6, macs / best[k] / 1e3,
                  peak > 0 ? 100.0 * macs / best[k] / 1e3 / peak : 0.0);
    else
      std::printf("\n");
  }
  std::printf("total %.1f us (sum of layer minima), %.1f MMAC, %.1f GMAC/s overall\n", total_us, total_macs / 1e6,
              total_macs / total_us / 1e3);
  return 0;
}

}  // namespace qfence::cli

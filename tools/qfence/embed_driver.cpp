// tools/qfence/embed_driver.cpp: the program scripts/embed-run compiles
// around a generated header, so that the compile-time path takes the same
// options and prints the same JSON line as `qfence run`.
//
// One model: c++ -std=c++20 -O2 -Iinclude -Itools/qfence -DQFENCE_EMBED_HEADER='"NAME.hpp"'
//                -DQFENCE_EMBED_NAME=NAME tools/qfence/embed_driver.cpp
// Several models in one program (tests/models/embedded_batch.py): include the
// headers, define QFENCE_EMBED_NO_MAIN, include this file, and call
// qfence::embed_driver::drive<NAME::info>(argc, argv) from your own main.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <span>
#include <string>
#include <vector>

#ifndef QFENCE_EMBED_NO_MAIN
#include QFENCE_EMBED_HEADER
#endif
#include "invoke_sequence.hpp"
#include "json.hpp"
#include "seeded_input.hpp"

namespace qfence::embed_driver {

[[noreturn]] void fail(const std::string& what) {
  std::cerr << "qfence embed-run: error: " << what << "\n";
  std::exit(1);
}

template <class T>
void describe(qfence::cli::json& j, const char* name) {
  j.begin_object();
  j.field("name", name);
  j.field("dtype", qfence::name(T::type));
  j.key("shape").begin_array();
  for (int d : T::shape_type::dims) j.value(d);
  j.end_array();
  if constexpr (T::quant::quantized) {
    j.key("quantization").begin_object();
    j.key("scale").begin_array();
    for (std::size_t c = 0; c < T::quant::channels; ++c) j.value(T::quant::scale_at(c));
    j.end_array();
    j.key("zero_point").begin_array();
    for (std::size_t c = 0; c < T::quant::channels; ++c) j.value(T::quant::zero_point_at(c));
    j.end_array();
    if constexpr (T::quant::is_per_channel) j.field("axis", T::quant::axis);
    j.end_object();
  }
  j.end_object();
}

/// Runs embedded model `Info` (a generated header's NAME::info) with the
/// options of `qfence run`.
template <class Info>
int drive(int argc, char** argv) {
  using M = typename Info::model;
  std::vector<std::string> inputs;
  std::string out_dir;
  int repeat = 1, sequence = 0;
  bool layers = false;
  std::string target_name;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&] {
      if (i + 1 >= argc) fail(a + " needs a value");
      return std::string(argv[++i]);
    };
    if (a == "--in") inputs.push_back(value());
    else if (a == "--out-dir") out_dir = value();
    else if (a == "--repeat") repeat = std::max(1, std::atoi(value().c_str()));
    else if (a == "--sequence") sequence = std::max(1, std::atoi(value().c_str()));
    else if (a == "--target") target_name = value();
    else if (a == "--layers") layers = true;
    else if (a == "--reference-kernels") fail("--reference-kernels is for `qfence run`: the compile-time path runs its SIMD kernels");
    else if (a == "--numerics") {
      // The embedded graph's numerics were fixed when the header was made.
      (void)value();
    } else fail("unknown option '" + a + "'");
  }
  if (sequence > 0 && repeat > 1)
    fail("--sequence runs N invokes that carry state, --repeat times one invoke: pick one");
  if (!inputs.empty() && static_cast<int>(inputs.size()) != M::input_count)
    fail("the model has " + std::to_string(M::input_count) + " inputs, " + std::to_string(inputs.size()) +
         " --in files were given");

  // The SIMD target, fixed for every invoke (QFENCE_TARGET or the best this
  // CPU runs, unless --target names one).
  const qfence::kernels::target target = [&] {
    try {
      return target_name.empty() ? qfence::kernels::default_target() : qfence::kernels::target_named(target_name);
    } catch (const qfence::kernels::target_error& e) {
      fail(e.what());
    }
  }();
  auto arena = std::make_unique<qfence::arena<M>>();
  qfence::cli::xorshift32 rng(1);
  const int invokes = std::max(sequence, 1);
  auto load_inputs = [&](int k) {
    [&]<int... K>(std::integer_sequence<int, K...>) {
      (qfence::cli::load_input(rng, M::template input_type<K>::type,
                               std::as_writable_bytes(arena->template input<K>()), K,
                               inputs.empty() ? std::string() : inputs[K], k, invokes),
       ...);
    }(std::make_integer_sequence<int, M::input_count>{});
  };
  qfence::cli::invoke_record record(M::output_count);
  auto outputs = [&](int i) {
    std::span<const std::byte> b;
    [&]<int... K>(std::integer_sequence<int, K...>) {
      ((i == K ? (b = std::as_bytes(arena->template output<K>()), 0) : 0), ...);
    }(std::make_integer_sequence<int, M::output_count>{});
    return b;
  };

  std::vector<double> times_us;
  try {
    if (sequence > 0) {
      // One stream: state carries over, each invoke on its own inputs (as qfence run).
      Info::graph().reset_state(*arena);
      for (int k = 0; k < sequence; ++k) {
        load_inputs(k);
        const auto t0 = std::chrono::steady_clock::now();
        const qfence::invoke_status s = Info::graph().invoke(*arena, target);
        times_us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
        record.add(s, outputs);
      }
    } else {
      // Inputs survive invoke, so every repeat runs on the same inputs; each
      // starts from the initial state, as in qfence run.
      load_inputs(0);
      if (repeat > 1) {  // a warm-up run (caches, page faults) that is not timed
        Info::graph().reset_state(*arena);
        (void)Info::graph().invoke(*arena, target);
      }
      qfence::invoke_status s = qfence::invoke_status::completed;
      for (int r = 0; r < repeat; ++r) {
        Info::graph().reset_state(*arena);
        const auto t0 = std::chrono::steady_clock::now();
        s = Info::graph().invoke(*arena, target);
        times_us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
      }
      record.add(s, outputs);
    }
    std::sort(times_us.begin(), times_us.end());
    if (!out_dir.empty()) record.write(out_dir, sequence > 0);
  } catch (const qfence::cli::io_error& e) {
    fail(e.what());
  }

  // --layers: each node's time, the minimum over as many more invokes
  // (apart from the timed ones above, whose clock reads nothing in between).
  struct layer_time {
    int node;
    const char* op;
    double us_min;
  };
  std::vector<layer_time> layer_times;
  if (layers) {
    for (int r = 0; r < repeat; ++r) {
      Info::graph().reset_state(*arena);
      std::size_t k = 0;
      auto last = std::chrono::steady_clock::now();
      Info::graph().invoke_observed(*arena, target, [&](int node, const char* op) {
        const auto now = std::chrono::steady_clock::now();
        const double us = std::chrono::duration<double, std::micro>(now - last).count();
        if (k == layer_times.size()) layer_times.push_back({node, op, us});
        else layer_times[k].us_min = std::min(layer_times[k].us_min, us);
        ++k;
        last = std::chrono::steady_clock::now();
      });
    }
  }

  qfence::cli::json j;
  j.begin_object();
  j.field("model", Info::source_model);
  j.field("path", "compile-time");
  j.key("inputs").begin_array();
  [&]<int... K>(std::integer_sequence<int, K...>) {
    (describe<typename M::template input_type<K>>(j, Info::input_names[K]), ...);
  }(std::make_integer_sequence<int, M::input_count>{});
  j.end_array();
  j.key("outputs").begin_array();
  [&]<int... K>(std::integer_sequence<int, K...>) {
    (describe<typename M::template output_type<K>>(j, Info::output_names[K]), ...);
  }(std::make_integer_sequence<int, M::output_count>{});
  j.end_array();
  j.field("arena_bytes", M::arena_bytes);
  j.field("kernels", target.name());
  j.field("repeat", repeat);
  if (sequence > 0) j.field("sequence", sequence);
  j.field("completed", record.completed());  // invokes that ran every node
  j.field("invoke_us_min", times_us.front());
  j.field("invoke_us_median", times_us[times_us.size() / 2]);
  if (layers) {
    j.key("layers").begin_array();
    for (const layer_time& l : layer_times) {
      j.begin_object();
      j.field("node", l.node);
      j.field("op", l.op);
      j.field("us_min", l.us_min);
      j.end_object();
    }
    j.end_array();
  }
  j.end_object();

  std::cout << j.str() << "\n";
  return 0;
}

}  // namespace qfence::embed_driver

#ifndef QFENCE_EMBED_NO_MAIN
int main(int argc, char** argv) { return qfence::embed_driver::drive<QFENCE_EMBED_NAME::info>(argc, argv); }
#endif

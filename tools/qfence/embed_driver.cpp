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
#include "run_options.hpp"
#include "seeded_input.hpp"

namespace qfence::embed_driver {

/// Ends the program as `qfence run` would: status 2 for a command line it
/// cannot take, 1 for a failure while running.
[[noreturn]] inline void fail(const std::string& what, int status = 1) {
  std::cerr << "qfence embed-run: error: " << what << "\n";
  std::exit(status);
}

/// `qfence run`'s options (one parser: run_options.hpp), and --layers:
/// each node's time as well. --numerics is read and checked but changes
/// nothing: the embedded graph's numerics were fixed when its header was
/// made.
struct driver_options {
  qfence::cli::run_options run;
  bool layers = false;
};

inline driver_options parse_options(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  driver_options o;
  try {
    for (std::size_t i = 0; i < args.size(); ++i) {
      if (qfence::cli::read_run_option(args, i, o.run)) continue;
      if (args[i] == "--layers") o.layers = true;
      else throw qfence::cli::usage_error("unknown option '" + args[i] + "'");
    }
    if (o.run.reference_kernels)
      throw qfence::cli::usage_error("--reference-kernels is for `qfence run`: the compile-time path runs its SIMD kernels");
    qfence::cli::check_run_options(o.run);
  } catch (const qfence::cli::usage_error& e) {
    fail(e.what(), 2);
  }
  return o;
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

/// One embedded model behind function pointers, so that the driver's logic
/// (run, below) is compiled once per program and only these few functions
/// once per model: the op matrix's program embeds hundreds of models, and
/// the driver's code instantiated for each was three quarters of its
/// compile time.
struct model_access {
  const char* source_model;
  std::size_t arena_bytes;
  int input_count, output_count;
  void* arena;
  qfence::dtype (*input_type)(int k);
  std::span<std::byte> (*input)(void* arena, int k);
  std::span<const std::byte> (*output)(const void* arena, int k);
  void (*reset_state)(void* arena);
  invoke_status (*invoke)(void* arena, qfence::kernels::target t);
  /// invoke, calling `call(observer, node, op)` after each node.
  invoke_status (*invoke_observed)(void* arena, qfence::kernels::target t, void* observer,
                                   void (*call)(void*, int, const char*));
  /// The "inputs" and "outputs" arrays of the JSON line.
  void (*describe_tensors)(qfence::cli::json& j);
};

/// Runs one model with `o`, as `qfence run` does, and prints its JSON line.
inline int run(const model_access& m, const driver_options& options) {
  const qfence::cli::run_options& o = options.run;
  // The SIMD target, fixed for every invoke (QFENCE_TARGET or the best this
  // CPU runs, unless --target names one).
  const qfence::kernels::target target = [&] {
    try {
      return o.target_name.empty() ? qfence::kernels::default_target() : qfence::kernels::target_named(o.target_name);
    } catch (const qfence::kernels::target_error& e) {
      fail(e.what());
    }
  }();
  qfence::cli::invoke_record record(m.output_count);
  std::vector<double> times_us;
  try {
    times_us = qfence::cli::timed_invokes(
        o, record,
        qfence::cli::input_loader(
            o, m.input_count, [&](int i) { return m.input_type(i); }, [&](int i) { return m.input(m.arena, i); }),
        [&] { m.reset_state(m.arena); }, [&] { return m.invoke(m.arena, target); },
        [&](int i) { return m.output(m.arena, i); });
    if (!o.out_dir.empty()) record.write(o.out_dir, o.sequence > 0);
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
  struct layer_clock {
    std::vector<layer_time> times;
    std::size_t k = 0;
    std::chrono::steady_clock::time_point last;
  } clock;
  if (options.layers) {
    for (int r = 0; r < o.repeat; ++r) {
      m.reset_state(m.arena);
      clock.k = 0;
      clock.last = std::chrono::steady_clock::now();
      m.invoke_observed(m.arena, target, &clock, [](void* c, int node, const char* op) {
        auto& lc = *static_cast<layer_clock*>(c);
        const auto now = std::chrono::steady_clock::now();
        const double us = std::chrono::duration<double, std::micro>(now - lc.last).count();
        if (lc.k == lc.times.size()) lc.times.push_back({node, op, us});
        else lc.times[lc.k].us_min = std::min(lc.times[lc.k].us_min, us);
        ++lc.k;
        lc.last = std::chrono::steady_clock::now();
      });
    }
  }

  qfence::cli::json j;
  j.begin_object();
  j.field("model", m.source_model);
  j.field("path", "compile-time");
  m.describe_tensors(j);
  j.field("arena_bytes", m.arena_bytes);
  j.field("kernels", target.name());
  j.field("repeat", o.repeat);
  if (o.sequence > 0) j.field("sequence", o.sequence);
  j.field("completed", record.completed());  // invokes that ran every node
  j.field("invoke_us_min", times_us.front());
  j.field("invoke_us_median", times_us[times_us.size() / 2]);
  if (options.layers) {
    j.key("layers").begin_array();
    for (const layer_time& l : clock.times) {
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

/// Calls f.template operator()<K>() for the K (0 <= K < Count) equal to the
/// run-time index k: a tensor's compile-time accessor chosen at run time.
template <int Count, class F>
void with_index(int k, F&& f) {
  [&]<int... K>(std::integer_sequence<int, K...>) {
    ((k == K ? (f.template operator()<K>(), 0) : 0), ...);
  }(std::make_integer_sequence<int, Count>{});
}

/// Runs embedded model `Info` (a generated header's NAME::info) with the
/// options of `qfence run`.
template <class Info>
int drive(int argc, char** argv) {
  using M = typename Info::model;
  using A = qfence::arena<M>;
  const driver_options options = parse_options(argc, argv);
  auto arena = std::make_unique<A>();
  const model_access access{
      Info::source_model,
      M::arena_bytes,
      M::input_count,
      M::output_count,
      arena.get(),
      [](int k) {
        qfence::dtype t{};
        with_index<M::input_count>(k, [&]<int K>() { t = M::template input_type<K>::type; });
        return t;
      },
      [](void* a, int k) {
        std::span<std::byte> b;
        with_index<M::input_count>(
            k, [&]<int K>() { b = std::as_writable_bytes(static_cast<A*>(a)->template input<K>()); });
        return b;
      },
      [](const void* a, int k) {
        std::span<const std::byte> b;
        with_index<M::output_count>(
            k, [&]<int K>() { b = std::as_bytes(static_cast<const A*>(a)->template output<K>()); });
        return b;
      },
      [](void* a) { Info::graph().reset_state(*static_cast<A*>(a)); },
      [](void* a, qfence::kernels::target t) { return Info::graph().invoke(*static_cast<A*>(a), t); },
      [](void* a, qfence::kernels::target t, void* observer, void (*call)(void*, int, const char*)) {
        return Info::graph().invoke_observed(*static_cast<A*>(a), t,
                                             [&](int node, const char* op) { call(observer, node, op); });
      },
      [](qfence::cli::json& j) {
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
      }};
  return run(access, options);
}

}  // namespace qfence::embed_driver

#ifndef QFENCE_EMBED_NO_MAIN
int main(int argc, char** argv) { return qfence::embed_driver::drive<QFENCE_EMBED_NAME::info>(argc, argv); }
#endif

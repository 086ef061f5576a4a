// Writes small .tflite files for the CLI tests into a directory: one valid
// model and one per kind of corruption that needs a structurally valid
// flatbuffer (the byte-level corruptions are made by cli_test.py).
#include <cstdio>
#include <fstream>
#include <string>
#include <utility>

#include "../unit/tflite_test_models.hpp"

namespace tfl = qtest::tfl;

static void write(const std::string& dir, const char* name, const tfl::model_spec& spec) {
  const auto bytes = tfl::build(spec);
  std::ofstream out(dir + "/" + name + ".tflite", std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: write_test_models DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  write(dir, "valid", tfl::float_add_model());
  // With TFLite Support metadata, as Model Maker writes it (cli_test.py
  // appends the zip of associated files).
  auto labelled = tfl::float_add_model();
  labelled.support_metadata = tfl::normalization_metadata({127.5f}, {127.5f});
  write(dir, "labelled", labelled);

  // CIRCULAR_BUFFER without options: 3 slots of [1,1,1,2] samples, period 2.
  tfl::model_spec circular;
  auto x = tfl::activation({1, 1, 1, 2}, "x", 9 /*INT8*/);
  x.scales = {0.5f};
  x.zero_points = {0};
  auto reg = x;
  reg.name = "register";
  reg.shape = {1, 3, 1, 2};
  reg.variable = true;
  circular.tensors = {x, reg};
  circular.ops.push_back(tfl::op(32 /*CUSTOM*/, 1, {0}, {1}, "CIRCULAR_BUFFER"));
  circular.inputs = {0};
  circular.outputs = {1};
  write(dir, "circular_buffer", circular);

  // What inspect describes and run refuses: a COMPLEX64 tensor (a dtype
  // qfence has not), and a scratch tensor no operator writes (Vela's).
  tfl::model_spec foreign;
  foreign.tensors = {tfl::activation({4}, "samples", 8 /*COMPLEX64*/), tfl::activation({4}, "spectrum", 8)};
  foreign.ops.push_back(tfl::op(32, 1, {0}, {1}, "ComplexAbs"));
  foreign.inputs = {0};
  foreign.outputs = {1};
  write(dir, "complex_tensors", foreign);
  tfl::model_spec vela;
  vela.tensors = {tfl::activation({1, 8}, "x", 9), tfl::activation({64}, "scratch", 3 /*UINT8*/),
                  tfl::activation({1, 8}, "y", 9)};
  vela.ops.push_back(tfl::op(32, 1, {0, 1}, {2}, "ethos-u"));
  vela.inputs = {0};
  vela.outputs = {2};
  write(dir, "vela_scratch", vela);

  // sqrt(input) + [10, 20, 30]: SQRT has no int8 kernel, so quantize fences it.
  auto fenced = tfl::float_add_model();
  fenced.tensors.push_back(tfl::activation({1, 3}, "root"));  // tensor 3
  fenced.ops.insert(fenced.ops.begin(), tfl::op(75 /*SQRT*/, 1, {0}, {3}));
  fenced.ops.back().inputs = {3, 1};
  write(dir, "sqrt_add", fenced);
  auto exp_add = fenced;  // EXP: TFLite's int8 table, which TFLM lacks (quantize --tabulate)
  exp_add.ops.front().builtin_code = 47 /*EXP*/;
  write(dir, "exp_add", exp_add);

  auto offset = tfl::float_add_model();
  offset.offset_buffers = true;
  write(dir, "valid_offset_buffers", offset);

  auto bad_index = tfl::float_add_model();
  bad_index.ops[0].inputs = {0, 42};
  write(dir, "bad_index", bad_index);

  auto negative = tfl::float_add_model();
  negative.tensors[2].shape = {1, -3};
  write(dir, "negative_shape", negative);

  auto huge = tfl::float_add_model();
  huge.tensors[2].shape = {1 << 30, 1 << 30};
  write(dir, "huge_shape", huge);

  auto short_buffer = tfl::float_add_model();
  short_buffer.tensors[1].data.resize(4);
  write(dir, "short_buffer", short_buffer);

  auto cycle = tfl::float_add_model();
  cycle.tensors.push_back(tfl::activation({1, 3}, "loop"));
  cycle.ops[0].inputs = {0, 3};
  cycle.ops.push_back(tfl::op(0, 1, {2, 1}, {3}));
  write(dir, "cycle", cycle);

  auto unsupported = tfl::float_add_model();
  unsupported.tensors.push_back(tfl::activation({1, 3}, "a"));
  unsupported.tensors.push_back(tfl::activation({1, 3}, "b"));
  unsupported.ops.push_back(tfl::op(48 /*TOPK_V2*/, 1, {2}, {3}));
  unsupported.ops.push_back(tfl::op(32 /*CUSTOM*/, 1, {3}, {4}, "MyDecoder"));
  unsupported.outputs = {4};
  write(dir, "unsupported", unsupported);

  // WHILE (x doubled three times): what calibrate observes inside, and
  // what full-integer quantize fences.
  const auto loop = tfl::doubling_loop_model([](std::string name) { return tfl::activation({1, 4}, std::move(name)); });
  write(dir, "float_while", loop);
  return 0;
}

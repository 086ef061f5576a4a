// posenet_decoder: an imported model whose last op is a custom op.
//
// PoseNet (google-coral/test_data) ends in PosenetDecoderOp, which TFLite
// does not have. `qfence embed` makes it a requirement of the generated
// graph: posenet::graph<Ops>() compiles only when Ops implements it (without
// it, the compiler prints the signature to write). The op sits in a fence, so
// it receives the backbone's three uint8 tensors dequantized to float.
//
// This example gives a simple single-pose decoder: for each of the 17
// keypoints, the heatmap cell with the highest score, refined by its short
// offset. It then checks that the tensors the op was handed are exactly the
// dequantized outputs of ../shared/models/posenet_backbone_353x481 (the same
// network with the decoder cut off, whose outputs TFLM computed).
//
//   posenet_decoder SHARED_DIR      (build: meson generates posenet.hpp with qfence embed)
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "posenet.hpp"

namespace qf = qfence;

namespace {

constexpr int grid_h = 23, grid_w = 31, keypoints = 17, output_stride = 16;

/// What the decoder was handed, kept for the check in main.
struct recorded {
  std::vector<float> heatmaps, short_offsets, mid_offsets;
};
recorded handed;

struct my_ops {
  struct PosenetDecoderOp {
    // The model leaves these shapes to the op; one pose at most here.
    using outputs = std::tuple<qf::tensor<qf::f32, qf::shape<1, 1, keypoints, 2>>,  // keypoints (y, x), pixels
                               qf::tensor<qf::f32, qf::shape<1, 1, keypoints>>,     // keypoint scores
                               qf::tensor<qf::f32, qf::shape<1, 1>>,                // pose score
                               qf::tensor<qf::f32, qf::shape<1>>>;                  // number of poses

    static void run(const float* heatmaps, const float* short_offsets, const float* mid_offsets, float* keypoints_yx,
                    float* keypoint_scores, float* pose_score, float* count) {
      handed.heatmaps.assign(heatmaps, heatmaps + grid_h * grid_w * keypoints);
      handed.short_offsets.assign(short_offsets, short_offsets + grid_h * grid_w * 2 * keypoints);
      handed.mid_offsets.assign(mid_offsets, mid_offsets + grid_h * grid_w * 64);
      float total = 0.0f;
      for (int k = 0; k < keypoints; ++k) {
        int best = 0;
        for (int cell = 1; cell < grid_h * grid_w; ++cell)
          if (heatmaps[cell * keypoints + k] > heatmaps[best * keypoints + k]) best = cell;
        const int y = best / grid_w, x = best % grid_w;
        // Short offsets: 17 y offsets, then 17 x offsets, per cell.
        keypoints_yx[2 * k] = static_cast<float>(y * output_stride) + short_offsets[best * 2 * keypoints + k];
        keypoints_yx[2 * k + 1] =
            static_cast<float>(x * output_stride) + short_offsets[best * 2 * keypoints + keypoints + k];
        keypoint_scores[k] = 1.0f / (1.0f + std::exp(-heatmaps[best * keypoints + k]));
        total += keypoint_scores[k];
      }
      pose_score[0] = total / keypoints;
      count[0] = 1.0f;
    }
  };
};

using model = posenet::model<my_ops>;

std::vector<std::uint8_t> read(const std::string& path, std::size_t bytes) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::uint8_t> data(bytes);
  in.read(reinterpret_cast<char*>(data.data()), static_cast<std::streamsize>(bytes));
  if (!in) {
    std::fprintf(stderr, "posenet_decoder: cannot read %zu bytes from %s\n", bytes, path.c_str());
    std::exit(1);
  }
  return data;
}

/// Dequantized as the fence does it (TFLite's Dequantize: scale * (q - zp) in double).
template <class T>
bool same_as_dequantized(const std::vector<float>& got, const std::vector<std::uint8_t>& golden, const char* what) {
  using Q = typename T::quant;
  std::size_t differ = 0;
  for (std::size_t i = 0; i < golden.size(); ++i) {
    const auto expected = static_cast<float>(static_cast<double>(Q::scale) * (golden[i] - Q::zero_point));
    differ += got[i] != expected;
  }
  std::printf("%-14s %zu values handed to the op, %zu differ from the backbone's reference output\n", what,
              golden.size(), differ);
  return differ == 0 && got.size() == golden.size();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: posenet_decoder SHARED_DIR\n");
    return 2;
  }
  const std::string backbone = std::string(argv[1]) + "/models/posenet_backbone_353x481/cases/test_image/";
  auto arena = std::make_unique<qf::arena<model>>();
  const auto image = read(backbone + "input0.bin", model::input_type<0>::bytes);
  std::ranges::copy(image, arena->input<0>().begin());  // std::span<std::uint8_t, 1*353*481*3>

  posenet::graph<my_ops>().invoke(*arena);

  // The model's outputs, in its order (the generated graph declares them).
  const auto yx = arena->output<0>();
  const auto scores = arena->output<1>();
  const auto pose = arena->output<2>();
  std::printf("pose score %.3f, arena %zu bytes\n", static_cast<double>(pose[0]), model::arena_bytes);
  for (int k = 0; k < 5; ++k)
    std::printf("keypoint %d at (y %.1f, x %.1f), score %.2f\n", k, static_cast<double>(yx[2 * k]),
                static_cast<double>(yx[2 * k + 1]), static_cast<double>(scores[k]));

  // The decoder's inputs are the quantized backbone outputs, dequantized.
  // Each check prints its line, so all three run.
  const bool heatmaps_ok = same_as_dequantized<posenet::tensors::float_heatmaps>(
      handed.heatmaps, read(backbone + "output0.bin", 23 * 31 * 17), "heatmaps");
  const bool short_ok = same_as_dequantized<posenet::tensors::float_short_offsets>(
      handed.short_offsets, read(backbone + "output1.bin", 23 * 31 * 34), "short offsets");
  const bool mid_ok = same_as_dequantized<posenet::tensors::float_mid_offsets>(
      handed.mid_offsets, read(backbone + "output2.bin", 23 * 31 * 64), "mid offsets");
  const bool ok = heatmaps_ok && short_ok && mid_ok;
  std::printf("%s\n", ok ? "the decoder got exactly the backbone's reference tensors"
                         : "MISMATCH: the decoder's inputs differ from the backbone's reference outputs");
  return ok ? 0 : 1;
}

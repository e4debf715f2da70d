// torchvision 0.14's model classes as torch.onnx exports them (small instances, random weights,
// tests/data/torchvision, made by scripts/make_torchvision_test_models.py): ViT, Swin, Swin V2
// (ReduceL2, Exp) and ConvNeXt at opsets 13 and 17; ShuffleNetV2, MobileNetV3, EfficientNet,
// DenseNet, RegNet and MaxViT (Einsum) at opset 13. The CPU engine's fp32 logits against ONNX
// Runtime's at batch 2 and 1; bf16 and int8 within a gross-error bound, their top-1 agreement
// printed. The full-size models: bench/torchvision_zoo.py.
#include <gtest/gtest.h>

#include <iostream>
#include <string>
#include <vector>

#include "backends/cpu/cpu_precision.h"
#include "lowp/lowp.h"
#include "tests/test_util.h"
#include "tools/io/calibration_sources.h"
#include "tools/io/npy.h"

using namespace lowp;
using namespace lowp::testing;

namespace {

const char* const kModels[] = {"vit_op13",           "vit_op17",          "swin_op13",
                               "swin_op17",          "convnext_op13",     "convnext_op17",
                               "shufflenet_v2_op13", "mobilenet_v3_op13", "efficientnet_b0_op13",
                               "densenet_op13",      "regnet_y_op13",     "maxvit_op13",
                               "swin_v2_op13",       "swin_v2_op17"};

Tensor first_row(const Tensor& t) {
  Dims dims = t.dims();
  dims[0] = 1;
  return Tensor::view(t.dtype(), dims, const_cast<void*>(t.raw()));
}

int fallbacks(const Engine& engine) {
  int n = 0;
  for (const std::string& line : engine.describe()) {
    n += line.find("fallback reference") != std::string::npos ? 1 : 0;
  }
  return n;
}

class TorchvisionExport : public ::testing::TestWithParam<const char*> {
 protected:
  const std::string name_ = GetParam();
  const std::string path_ = test_data("torchvision/" + name_ + ".onnx");
  const Tensor x_ = io::read_npy(test_data("torchvision/input.npy"));
  const Tensor want_ = io::read_npy(test_data("torchvision/" + name_ + "_ort.npy"));

  // Relative L2 of `engine`'s logits against ONNX Runtime's; prints it with the top-1 agreement.
  double report(const Engine& engine, const char* precision) const {
    const Tensor got = run_once(engine, x_);
    const std::vector<int64_t> a = top1(got), b = top1(want_);
    const double err = relative_l2(got, want_);
    std::cout << name_ << ": " << precision << " relative L2 " << err << ", top-1 agrees on "
              << (a[0] == b[0]) + (a[1] == b[1]) << " / 2\n";
    return err;
  }
};

TEST_P(TorchvisionExport, Fp32MatchesOnnxRuntime) {
  auto engine = Engine::compile_onnx(path_);
  const double err2 = report(*engine, "fp32");
  const double err1 = relative_l2(run_once(*engine, first_row(x_)), first_row(want_));
  std::cout << name_ << ": fp32 batch 1 relative L2 " << err1 << ", " << fallbacks(*engine)
            << " reference fallbacks\n";
  EXPECT_LE(err2, 1e-5);
  EXPECT_LE(err1, 1e-5);
}

// bf16 rounds every activation: a check for gross errors (a wrong layout, a wrong op: 0.5 and
// more), not a precision figure; BENCHMARKS.md has those on the full-size models.
TEST_P(TorchvisionExport, Bf16StaysCloseToOnnxRuntime) {
  CompileOptions options;
  options.precision = Precision::kBf16;
  options.keep_io_types = true;
  if (!cpu::cpu_has_bf16()) {  // refused with the reason, on CPUs without AVX512-BF16
    try {
      Engine::compile_onnx(path_, options);
      FAIL() << "bf16 compiled on a CPU without AVX512-BF16";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("AVX512-BF16"), std::string::npos) << e.what();
    }
    return;
  }
  EXPECT_LE(report(*Engine::compile_onnx(path_, options), "bf16"), 0.05);
}

// int8 calibrated on the two inputs themselves: the calibration and quantization of exports with
// shape computations (Shape -> Gather -> Concat -> Reshape; ViT, Swin, ShuffleNetV2 were refused
// at calibration) and a gross-error bound; the agreement on photos is in BENCHMARKS.md.
TEST_P(TorchvisionExport, Int8CompilesAndStaysNearOnnxRuntime) {
  CompileOptions options;
  options.precision = Precision::kInt8;
  options.calibration.source = io::make_calibration_source(test_data("torchvision/input.npy"),
                                                           "npy", 2, 2, std::nullopt, x_.dims());
  EXPECT_LE(report(*Engine::compile_onnx(path_, options), "int8"), 0.2);
}

INSTANTIATE_TEST_SUITE_P(Models, TorchvisionExport, ::testing::ValuesIn(kModels),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace

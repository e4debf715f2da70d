// ResNet-18 (Fashion-MNIST) through Int8QuantizationPass on the reference executor: min/max
// ranges from 64 training images, then top-1 accuracy and agreement with fp32 on the first 250
// test images.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

#include "reference/reference_executor.h"
#include "frontends/onnx/onnx_importer.h"
#include "lowp/shape_propagation.h"
#include "passes/int8_quantization.h"
#include "engine/pass_pipeline.h"
#include "tests/test_util.h"
#include "tools/io/idx.h"
#include "tools/io/image_preprocess.h"

using namespace lowp;
using namespace lowp::testing;

TEST(Int8ResNet, FashionAccuracyOnReferenceExecutor) {
  const std::string dir = fashion_dir();
  const auto start = std::chrono::steady_clock::now();
  auto graph =
      onnx_frontend::import_file(std::string(LOWP_SOURCE_DIR) + "/models/resnet18_fashion.onnx");
  PassContext ctx;
  run_pipeline(*graph, CompileOptions{}, ctx);

  // Calibration: min / max of every f32 activation over 64 training images.
  const io::IdxImages train = io::read_idx_images(dir + "/train-images-idx3-ubyte.gz");
  std::map<std::string, std::pair<float, float>> minmax;
  for (int64_t b = 0; b < 64; b += 16) {
    const Tensor x = fashion_batch(train, b, 16);
    auto values = reference::run_graph_all_values(*graph, {x});
    values[graph->inputs[0]->name] = x;
    for (const auto& [name, t] : values) {
      if (t.dtype() != DataType::kF32) continue;
      const auto [lo, hi] = std::minmax_element(t.data<float>(), t.data<float>() + t.numel());
      auto [it, fresh] = minmax.try_emplace(name, *lo, *hi);
      if (!fresh) it->second = {std::min(it->second.first, *lo), std::max(it->second.second, *hi)};
    }
  }
  std::map<std::string, TensorRange> ranges;
  for (const auto& [name, r] : minmax) ranges[name] = make_tensor_range(r.first, r.second, false);

  auto int8 = graph->clone();
  ASSERT_TRUE(Int8QuantizationPass(ranges).run(*int8, ctx));
  propagate_shapes(*int8);
  int q = 0, dq = 0;
  for (const auto& n : int8->nodes()) {
    q += n->op_type == "QuantizeLinear";
    dq += n->op_type == "DequantizeLinear";
  }
  EXPECT_EQ(q, 1);   // the image
  EXPECT_EQ(dq, 0);  // the classifier Gemm writes f32 logits

  const io::IdxImages test = io::read_idx_images(dir + "/t10k-images-idx3-ubyte.gz");
  const std::vector<uint8_t> labels = io::read_idx_labels(dir + "/t10k-labels-idx1-ubyte.gz");
  const int64_t count = 250;  // 500 images take ~50 s on the reference executor
  int64_t fp32_correct = 0, int8_correct = 0, agree = 0;
  for (int64_t b = 0; b < count; b += 50) {
    const Tensor x = fashion_batch(test, b, 50);
    const auto f = top1(reference::run_graph(*graph, {x})[0]);
    const auto i8 = top1(reference::run_graph(*int8, {x})[0]);
    for (size_t i = 0; i < f.size(); ++i) {
      const int64_t label = labels[static_cast<size_t>(b) + i];
      fp32_correct += f[i] == label;
      int8_correct += i8[i] == label;
      agree += f[i] == i8[i];
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "ResNet-18 Fashion, first " << count << " test images, reference executor: fp32 "
            << fp32_correct << ", int8 " << int8_correct << " correct; top-1 agreement " << agree
            << " / " << count << " (" << seconds << " s)\n";
  EXPECT_GE(agree, count * 97 / 100);
  EXPECT_GE(int8_correct, fp32_correct - count / 100);
}

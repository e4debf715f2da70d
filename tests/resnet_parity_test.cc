// ResNet-18 end to end on the CPU engine: logits within 1e-4 of ONNX Runtime's (tests/data) for
// the bundled Fashion model on 16 test images and for the generated ImageNet-shaped graph on its
// four generated inputs, and the Fashion model's top-1 accuracy on all 10,000 test images.
#include <gtest/gtest.h>

#include <algorithm>

#include "lowp/lowp.h"
#include "tests/models/resnet18_imagenet.h"
#include "tests/test_util.h"
#include "tools/io/idx.h"
#include "tools/io/image_preprocess.h"
#include "tools/io/npy.h"

using namespace lowp;
using namespace lowp::testing;

namespace {

void check_parity(const std::string& model_path, const Tensor& x, const std::string& logits) {
  const std::string model = model_path.substr(model_path.find_last_of('/') + 1);
  Tensor expected = io::read_npy(test_data(logits));
  auto engine = Engine::compile_onnx(model_path);
  auto session = engine->create_session();
  Tensor got = session->run({{engine->inputs()[0].name, x}}).at(0);
  float diff = max_abs_diff(got, expected);
  std::cout << model << ": max |logit - ONNX Runtime| = " << diff << "\n";
  EXPECT_LE(diff, 1e-4f);
  // Batch 1 gives the same logits as the batched run.
  Tensor first = Tensor::view(DataType::kF32, {1, x.dims()[1], x.dims()[2], x.dims()[3]},
                              const_cast<void*>(x.raw()));
  Tensor one = session->run({{engine->inputs()[0].name, first}}).at(0);
  Tensor expected_one = Tensor::view(DataType::kF32, one.dims(), expected.raw());
  EXPECT_LE(max_abs_diff(one, expected_one), 1e-4f);
}

}  // namespace

TEST(ResNetParity, FashionMatchesOnnxRuntime) {
  check_parity(source_dir() + "/models/resnet18_fashion.onnx",
               io::read_npy(test_data("fashion_test_first16_input.npy")),
               "fashion_test_first16_ort_logits.npy");
}

TEST(ResNetParity, ImagenetGraphMatchesOnnxRuntime) {
  check_parity(test_model("resnet18_imagenet_arch.onnx"), resnet18_imagenet_input(4),
               "resnet18_imagenet_arch_ort_logits.npy");
}

TEST(ResNetAccuracy, FashionTestSetTop1) {
  std::string model_path = source_dir() + "/models/resnet18_fashion.onnx";
  io::IdxImages images = io::read_idx_images(fashion_dir() + "/t10k-images-idx3-ubyte.gz");
  std::vector<uint8_t> labels = io::read_idx_labels(fashion_dir() + "/t10k-labels-idx1-ubyte.gz");
  ASSERT_EQ(images.count, 10000);
  auto engine = Engine::compile_onnx(model_path);
  auto session = engine->create_session();
  const int64_t batch = 100;
  Tensor logits(DataType::kF32, {batch, 10});  // caller-owned output, reused for every batch
  int64_t correct = 0;
  for (int64_t start = 0; start < images.count; start += batch) {
    Tensor x = fashion_batch(images, start, batch);
    session->run({{engine->inputs()[0].name, x}}, {{engine->outputs()[0].name, logits}});
    std::vector<int64_t> predicted = top1(logits);
    for (int64_t i = 0; i < batch; ++i) {
      correct += predicted[static_cast<size_t>(i)] == labels[static_cast<size_t>(start + i)];
    }
  }
  double accuracy = 100.0 * static_cast<double>(correct) / static_cast<double>(images.count);
  std::cout << "Fashion-MNIST test top-1: " << correct << " / " << images.count << " = " << accuracy
            << "%\n";
  EXPECT_EQ(correct, 9288);  // 92.88%, as ONNX Runtime and PyTorch
}

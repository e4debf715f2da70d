// Helpers shared by the tests: paths to test data and tensor comparison.
#pragma once

#include <string>
#include <vector>

#include "lowp/lowp.h"
#include "lowp/tensor.h"
#include "tools/io/idx.h"

namespace lowp::testing {

// Where the tests find their data; every folder is in the checkout, the build tree or a Debian
// package that scripts/setup.sh installs, each overridable by the environment variable of the same
// name (for running the test binaries on another machine, e.g. the GPU machine): LOWP_SOURCE_DIR
// (the checkout), LOWP_FASHION_MNIST (idx files, dataset-fashion-mnist), LOWP_ONNX_NODE_TESTS
// (ONNX's node test data, libonnx-testdata), LOWP_TEST_MODELS (models the build generates).
std::string source_dir();
std::string fashion_dir();
std::string onnx_node_tests_dir();
// tests/data/<relative> in the checkout (reference inputs and outputs; tests/data/README.md).
std::string test_data(const std::string& relative);
// A model the build generates (tests/models/make_test_models): resnet18_imagenet_arch.onnx.
std::string test_model(const std::string& name);
bool file_exists(const std::string& path);

// ||got - want|| / ||want|| over all elements (any float dtype).
double relative_l2(const Tensor& got, const Tensor& want);
// Compile options for a device and precision, verifying the graph after every pass (the rest
// default).
CompileOptions options_for(Device device, Precision precision);
// `engine` saved as the plan `plan_path` and loaded again to run on `device`: the same graph (an
// int8 graph calibrated on the CPU, say) on another backend.
std::shared_ptr<const Engine> reload_for(const Engine& engine, Device device,
                                         const std::string& plan_path);
// The first output of `engine` for `x` bound to its first input (a fresh session).
Tensor run_once(const Engine& engine, const Tensor& x);
// Largest |a-b|; throws when dims differ.
float max_abs_diff(const Tensor& a, const Tensor& b);
// True when every |a-b| <= atol + rtol*|b| (numpy.allclose); `report` gets the worst element.
bool all_close(const Tensor& a, const Tensor& b, float rtol, float atol,
               std::string* report = nullptr);
// A tensor filled with a fixed pseudo-random sequence in [lo, hi).
Tensor random_tensor(const Dims& dims, uint32_t seed, float lo = -1.f, float hi = 1.f);

// The built `lowp` command run through a shell with `arguments`: exit status (-1 when it did not
// exit) and stdout and stderr together.
struct CommandResult {
  int status = -1;
  std::string output;
};
CommandResult lowp_command(const std::string& arguments);

// Fashion-MNIST images [start, start+count) preprocessed for the ResNet-18 (count x 3 x 64 x 64).
Tensor fashion_batch(const io::IdxImages& images, int64_t start, int64_t count);
// Index of the largest logit of each row of [n, classes] f32 logits.
std::vector<int64_t> top1(const Tensor& logits);

// Top-1 of `model` on the whole Fashion-MNIST test set (fashion_dir(), batches of `batch`):
// correct against the labels, and agreeing with `reference`.
struct TestSetTop1 {
  int64_t images = 0, correct = 0, agree = 0;
  double accuracy_percent() const { return 100.0 * double(correct) / double(images); }
  double agreement_percent() const { return 100.0 * double(agree) / double(images); }
};
TestSetTop1 fashion_test_set_top1(const Engine& model, const Engine& reference, int64_t batch);

}  // namespace lowp::testing

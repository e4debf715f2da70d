// Regression tests for a silent wrong answer: a Concat of several convolution branches (Inception's
// Mixed blocks, DenseNet's dense blocks). The CPU backend runs Concat as a reference step whose
// blocked-layout inputs are each converted to plain first; each converted input was marked live
// only up to the next conversion, so a later input's conversion could overwrite it. torchvision's
// inception_v3 gave logits with relative L2 error 1.0 against ONNX Runtime in fp32, DenseNet-121
// 0.62 in bf16. The smallest graphs that showed it: three (or four) 1x1 Conv + Relu branches of
// equal size concatenated.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "backends/cpu/cpu_precision.h"
#include "reference/reference_executor.h"
#include "frontends/onnx/onnx_importer.h"
#include "lowp/lowp.h"
#include "tests/onnx_model_builder.h"
#include "tests/test_util.h"

namespace lowp {
namespace {

using namespace lowp::testing;

// x[N,4,5,5] -> `branches` x (Conv 1x1 to 4 channels -> Relu) -> Concat(axis 1) -> y; with
// `pool_branch`, one more branch Pad -> AveragePool(3x3) -> Conv 1x1 -> Relu, as Inception's.
std::string branches_model(int branches, bool pool_branch) {
  auto m = make_model(13);
  add_io(m.mutable_graph()->add_input(), "x", {-1, 4, 5, 5});
  std::vector<std::string> outs;
  auto conv_relu = [&](const std::string& name, const std::string& in) {
    std::vector<float> w(4 * 4);
    for (size_t i = 0; i < w.size(); ++i) {
      w[i] = static_cast<float>((i * 7 + outs.size() * 3) % 11) / 11.f - 0.45f;
    }
    add_initializer(m, name + ".w", {4, 4, 1, 1}, w);
    add_initializer(m, name + ".b", {4}, {0.1f, -0.2f, 0.3f, 0.05f});
    add_node(m, "Conv", name, {in, name + ".w", name + ".b"}, {name + "_c"});
    add_node(m, "Relu", name + "_relu", {name + "_c"}, {name + "_r"});
    outs.push_back(name + "_r");
  };
  for (int b = 0; b < branches; ++b) conv_relu("branch" + std::to_string(b), "x");
  if (pool_branch) {
    auto* pads = m.mutable_graph()->add_initializer();
    pads->set_name("pads");
    pads->set_data_type(onnx::TensorProto_DataType_INT64);
    pads->add_dims(8);
    for (int64_t p : {0, 0, 1, 1, 0, 0, 1, 1}) pads->add_int64_data(p);
    add_node(m, "Pad", "pad", {"x", "pads"}, {"padded"});
    auto* pool = add_node(m, "AveragePool", "pool", {"padded"}, {"pooled"});
    set_ints(pool, "kernel_shape", {3, 3});
    conv_relu("pool_branch", "pooled");
  }
  auto* concat = add_node(m, "Concat", "concat", outs, {"y"});
  auto* axis = concat->add_attribute();
  axis->set_name("axis");
  axis->set_type(onnx::AttributeProto_AttributeType_INT);
  axis->set_i(1);
  add_io(m.mutable_graph()->add_output(), "y", {-1, 4 * static_cast<int64_t>(outs.size()), 5, 5});
  const std::string dir = std::string(LOWP_BINARY_DIR) + "/concat_branches_test";
  std::filesystem::create_directories(dir);
  const std::string path =
      dir + "/branches_" + std::to_string(branches) + (pool_branch ? "_pool" : "") + ".onnx";
  save_model(m, path);
  return path;
}

Tensor reference_output(const std::string& path, const Tensor& x) {
  return reference::run_graph(*onnx_frontend::import_file(path), {x}).at(0);
}

TEST(ConcatBranches, Fp32MatchesTheReference) {
  const Tensor x = random_tensor({2, 4, 5, 5}, 11);
  for (const auto& [branches, pool] : {std::pair{2, false}, {3, false}, {4, false}, {3, true}}) {
    const std::string path = branches_model(branches, pool);
    const Tensor want = reference_output(path, x);
    const Tensor got = run_once(*Engine::compile_onnx(path), x);
    EXPECT_LE(max_abs_diff(got, want), 1e-5f) << path;
  }
}

TEST(ConcatBranches, Bf16StaysCloseToFp32) {
  const std::string path = branches_model(4, true);
  CompileOptions bf16;
  bf16.precision = Precision::kBf16;
  bf16.keep_io_types = true;
  if (!cpu::cpu_has_bf16()) {
    EXPECT_THROW(Engine::compile_onnx(path, bf16), Error);
    return;
  }
  const Tensor x = random_tensor({2, 4, 5, 5}, 12);
  const double err =
      relative_l2(run_once(*Engine::compile_onnx(path, bf16), x), reference_output(path, x));
  std::printf("4 branches + pool branch, bf16 vs fp32 reference: relative L2 %.2e\n", err);
  EXPECT_LE(err, 1e-2);
}

}  // namespace
}  // namespace lowp

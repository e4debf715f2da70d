// Every pass: run a graph before and after it through the reference kernels, compare outputs, and
// count the ops left.
#include <gtest/gtest.h>

#include "engine/pass_pipeline.h"
#include "lowp/graph_verifier.h"
#include "lowp/shape_propagation.h"
#include "passes/activation_fusion.h"
#include "passes/batch_norm_folding.h"
#include "passes/constant_folding.h"
#include "passes/conv_add_fusion.h"
#include "passes/dead_node_removal.h"
#include "passes/identity_removal.h"
#include "passes/matmul_add_fusion.h"
#include "passes/pad_conv_fusion.h"
#include "reference/reference_executor.h"
#include "tests/test_util.h"

using namespace lowp;
using namespace lowp::testing;

namespace {

int count_ops(const Graph& g, const std::string& op) {
  int n = 0;
  for (const auto& node : g.nodes()) n += node->op_type == op;
  return n;
}

Value* constant(Graph& g, const std::string& name, const Dims& dims, uint32_t seed,
                float lo = -0.5f, float hi = 0.5f) {
  return g.add_constant(name, random_tensor(dims, seed, lo, hi));
}

// x -> Conv -> BatchNorm -> Add(x-branch Conv) -> Relu -> Identity -> y ; plus a dead branch.
std::unique_ptr<Graph> residual_block() {
  auto g = std::make_unique<Graph>();
  Value* x = g->add_value("x", DataType::kF32, Shape::from_dims({2, 4, 6, 6}));
  g->inputs.push_back(x);
  Value* c1 = g->add_value("c1");
  Node* conv1 = g->add_node(
      "Conv", "conv1", {x, constant(*g, "w1", {4, 4, 3, 3}, 1), constant(*g, "b1", {4}, 2)}, {c1});
  conv1->attributes["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  Value* bn = g->add_value("bn");
  g->add_node("BatchNormalization", "bn1",
              {c1, constant(*g, "gamma", {4}, 3, 0.5f, 1.5f), constant(*g, "beta", {4}, 4),
               constant(*g, "mean", {4}, 5), constant(*g, "var", {4}, 6, 0.5f, 2.f)},
              {bn});
  Value* c2 = g->add_value("c2");
  g->add_node("Conv", "conv2",
              {bn, constant(*g, "w2", {4, 4, 1, 1}, 7), constant(*g, "b2", {4}, 8)}, {c2});
  Value* sum = g->add_value("sum");
  g->add_node("Add", "add", {c2, x}, {sum});
  Value* r = g->add_value("r");
  g->add_node("Relu", "relu", {sum}, {r});
  Value* y = g->add_value("y");
  g->add_node("Identity", "identity", {r}, {y});  // graph output: must stay
  Value* mid = g->add_value("mid");
  g->add_node("Identity", "identity_mid", {c2}, {mid});
  Value* dead = g->add_value("dead");
  g->add_node("Sigmoid", "dead_sigmoid", {mid}, {dead});
  g->outputs.push_back(y);
  propagate_shapes(*g);
  return g;
}

// Runs `pass` on a fresh residual block and checks outputs are unchanged.
std::unique_ptr<Graph> check_pass(const Pass& pass, bool expect_change) {
  auto g = residual_block();
  Tensor x = random_tensor({2, 4, 6, 6}, 42);
  Tensor before = reference::run_graph(*g, {x}).at(0);
  verify_graph(*g, "before pass");
  PassContext ctx;
  ctx.verify = true;
  EXPECT_EQ(run_one_pass(pass, *g, ctx), expect_change) << pass.name();
  Tensor after = reference::run_graph(*g, {x}).at(0);
  EXPECT_LT(max_abs_diff(before, after), 1e-5f) << pass.name();
  return g;
}

}  // namespace

TEST(Passes, IdentityRemovalKeepsOutputNames) {
  auto g = check_pass(IdentityRemovalPass(), true);
  EXPECT_EQ(count_ops(*g, "Identity"), 1);  // the one producing graph output y stays
  EXPECT_EQ(g->outputs[0]->name, "y");
}

TEST(Passes, DeadNodeRemoval) {
  auto g = check_pass(DeadNodeRemovalPass(), true);
  EXPECT_EQ(count_ops(*g, "Sigmoid"), 0);
  EXPECT_EQ(count_ops(*g, "Identity"), 1);
}

TEST(Passes, BatchNormFolding) {
  auto g = check_pass(BatchNormFoldingPass(), true);
  EXPECT_EQ(count_ops(*g, "BatchNormalization"), 0);
}

TEST(Passes, ConvAddFusion) {
  auto g = check_pass(ConvAddFusionPass(), false);  // conv2's output also feeds identity_mid
  auto g2 = residual_block();
  PassContext ctx;
  DeadNodeRemovalPass().run(*g2, ctx);
  IdentityRemovalPass().run(*g2, ctx);
  Tensor x = random_tensor({2, 4, 6, 6}, 42);
  Tensor before = reference::run_graph(*g2, {x}).at(0);
  EXPECT_TRUE(ConvAddFusionPass().run(*g2, ctx));
  g2->topological_sort();
  EXPECT_EQ(count_ops(*g2, "Add"), 0);
  EXPECT_LT(max_abs_diff(before, reference::run_graph(*g2, {x}).at(0)), 1e-5f);
}

TEST(Passes, ActivationFusion) {
  auto g = residual_block();
  PassContext ctx;
  DeadNodeRemovalPass().run(*g, ctx);
  ConvAddFusionPass().run(*g, ctx);
  Tensor x = random_tensor({2, 4, 6, 6}, 42);
  Tensor before = reference::run_graph(*g, {x}).at(0);
  EXPECT_TRUE(ActivationFusionPass().run(*g, ctx));
  g->topological_sort();
  EXPECT_EQ(count_ops(*g, "Relu"), 0);
  EXPECT_LT(max_abs_diff(before, reference::run_graph(*g, {x}).at(0)), 1e-5f);
}

TEST(Passes, ConstantFolding) {
  Graph g;
  Value* x = g.add_value("x", DataType::kF32, Shape::from_dims({3}));
  g.inputs.push_back(x);
  Value* a = g.add_constant("a", random_tensor({3}, 1));
  Value* b = g.add_constant("b", random_tensor({3}, 2));
  Value* ab = g.add_value("ab");
  g.add_node("Mul", "mul_consts", {a, b}, {ab});
  Value* y = g.add_value("y");
  g.add_node("Add", "add", {x, ab}, {y});
  g.outputs.push_back(y);
  propagate_shapes(g);
  Tensor in = random_tensor({3}, 3);
  Tensor before = reference::run_graph(g, {in}).at(0);
  PassContext ctx;
  EXPECT_TRUE(ConstantFoldingPass().run(g, ctx));
  EXPECT_EQ(count_ops(g, "Mul"), 0);
  EXPECT_LT(max_abs_diff(before, reference::run_graph(g, {in}).at(0)), 1e-6f);
}

TEST(Passes, FullPipelineOnResidualBlock) {
  auto g = residual_block();
  Tensor x = random_tensor({2, 4, 6, 6}, 42);
  Tensor before = reference::run_graph(*g, {x}).at(0);
  PassContext ctx;
  run_pipeline(*g, CompileOptions{}, ctx);
  EXPECT_EQ(count_ops(*g, "BatchNormalization"), 0);
  EXPECT_EQ(count_ops(*g, "Sigmoid"), 0);
  EXPECT_LT(max_abs_diff(before, reference::run_graph(*g, {x}).at(0)), 1e-5f);
  EXPECT_FALSE(ctx.log.empty());
}

TEST(Passes, MatMulAddFusionMakesGemmThenFusesRelu) {
  Graph g;
  Value* x = g.add_value("x", DataType::kF32, Shape({Dim{-1, "N"}, Dim{6, {}}}));
  g.inputs.push_back(x);
  Value* mm = g.add_value("mm");
  g.add_node("MatMul", "fc", {x, constant(g, "w", {6, 4}, 1)}, {mm});
  Value* biased = g.add_value("biased");
  g.add_node("Add", "bias", {constant(g, "b", {4}, 2), mm}, {biased});
  Value* y = g.add_value("y");
  g.add_node("Relu", "relu", {biased}, {y});
  g.outputs.push_back(y);
  propagate_shapes(g);
  Tensor in = random_tensor({3, 6}, 3);
  Tensor before = reference::run_graph(g, {in}).at(0);
  PassContext ctx;
  EXPECT_TRUE(MatMulAddFusionPass().run(g, ctx));
  g.topological_sort();
  propagate_shapes(g);
  EXPECT_EQ(count_ops(g, "MatMul"), 0);
  EXPECT_EQ(count_ops(g, "Gemm"), 1);
  EXPECT_TRUE(ActivationFusionPass().run(g, ctx));
  EXPECT_EQ(count_ops(g, "Relu"), 0);
  EXPECT_LT(max_abs_diff(before, reference::run_graph(g, {in}).at(0)), 1e-5f);
  // A 3-D input is not a Gemm: it becomes MatMul with lowp's fused bias (input 2).
  Graph h;
  Value* x3 = h.add_value("x", DataType::kF32, Shape::from_dims({2, 3, 6}));
  h.inputs.push_back(x3);
  Value* m3 = h.add_value("mm");
  h.add_node("MatMul", "fc", {x3, constant(h, "w", {6, 4}, 1)}, {m3});
  Value* y3 = h.add_value("y");
  h.add_node("Add", "bias", {m3, constant(h, "b", {4}, 2)}, {y3});
  h.outputs.push_back(y3);
  propagate_shapes(h);
  Tensor in3 = random_tensor({2, 3, 6}, 4);
  Tensor before3 = reference::run_graph(h, {in3}).at(0);
  EXPECT_TRUE(MatMulAddFusionPass().run(h, ctx));
  h.topological_sort();
  propagate_shapes(h);
  EXPECT_EQ(count_ops(h, "Gemm"), 0);
  ASSERT_EQ(count_ops(h, "MatMul"), 1);
  EXPECT_EQ(h.nodes()[0]->inputs.size(), 3u);
  EXPECT_LT(max_abs_diff(before3, reference::run_graph(h, {in3}).at(0)), 1e-5f);
}

namespace {

// x [2, 3, 9, 9] -> Pad(pads, mode, fill) -> Conv(3x3, stride 2, its own pads 1 1 0 0) -> y, as
// TensorFlow exports write "same" padding; `fanout` gives the Pad's output a second reader.
std::unique_ptr<Graph> padded_conv(const Dims& pads, const std::string& mode, float fill,
                                   bool fanout = false) {
  auto g = std::make_unique<Graph>();
  Value* x = g->add_value("x", DataType::kF32, Shape::from_dims({2, 3, 9, 9}));
  g->inputs.push_back(x);
  Value* padded = g->add_value("padded");
  Tensor amounts(DataType::kS64, {static_cast<int64_t>(pads.size())});
  for (size_t i = 0; i < pads.size(); ++i) amounts.data<int64_t>()[i] = pads[i];
  Tensor value(DataType::kF32, {});
  value.data<float>()[0] = fill;
  Node* pad =
      g->add_node("Pad", "pad",
                  {x, g->add_constant("pads", amounts), g->add_constant("fill", value)}, {padded});
  pad->attributes["mode"] = mode;
  Value* y = g->add_value("y");
  Node* conv =
      g->add_node("Conv", "conv",
                  {padded, constant(*g, "w", {4, 3, 3, 3}, 11), constant(*g, "b", {4}, 12)}, {y});
  conv->attributes["strides"] = std::vector<int64_t>{2, 2};
  conv->attributes["pads"] = std::vector<int64_t>{1, 1, 0, 0};
  g->outputs.push_back(y);
  if (fanout) g->outputs.push_back(padded);
  propagate_shapes(*g);
  return g;
}

// Runs the fusion; checks the outputs before and after agree and returns how many Pads are left.
int pads_left_after_fusion(Graph& g) {
  Tensor x = random_tensor({2, 3, 9, 9}, 13);
  std::vector<Tensor> before = reference::run_graph(g, {x});
  PassContext ctx;
  ctx.verify = true;
  run_one_pass(PadConvFusionPass(), g, ctx);
  std::vector<Tensor> after = reference::run_graph(g, {x});
  EXPECT_EQ(before.size(), after.size());
  for (size_t i = 0; i < before.size() && i < after.size(); ++i) {
    EXPECT_EQ(before[i].dims(), after[i].dims());
    EXPECT_LT(max_abs_diff(before[i], after[i]), 1e-5f);
  }
  return count_ops(g, "Pad");
}

}  // namespace

TEST(Passes, PadConvFusionMovesZeroPaddingIntoTheConv) {
  auto g = padded_conv({0, 0, 0, 1, 0, 0, 1, 2}, "constant", 0.f);  // asymmetric, spatial only
  EXPECT_EQ(pads_left_after_fusion(*g), 0);
  EXPECT_EQ(g->nodes().at(0)->attr_ints("pads"), (std::vector<int64_t>{1, 2, 1, 2}));
}

TEST(Passes, PadConvFusionLeavesPadsItCannotMove) {
  auto reflect = padded_conv({0, 0, 1, 1, 0, 0, 1, 1}, "reflect", 0.f);
  EXPECT_EQ(pads_left_after_fusion(*reflect), 1);
  auto nonzero = padded_conv({0, 0, 1, 1, 0, 0, 1, 1}, "constant", 0.5f);
  EXPECT_EQ(pads_left_after_fusion(*nonzero), 1);
  auto cropping = padded_conv({0, 0, 1, -1, 0, 0, 1, 1}, "constant", 0.f);
  EXPECT_EQ(pads_left_after_fusion(*cropping), 1);
  auto shared = padded_conv({0, 0, 1, 1, 0, 0, 1, 1}, "constant", 0.f, /*fanout=*/true);
  EXPECT_EQ(pads_left_after_fusion(*shared), 1);
}

// What transformer exports (ViT, ConvNeXt, Swin at opset 13) need to run fast on the CPU:
// Transpose and Slice as oneDNN reorders, MatMul of two activations on oneDNN matmul, the Gelu op,
// and the fusions of the decomposed forms torch.onnx emits (LayerNorm, GELU, MatMul + bias on a
// 3-D input), and ScatterND (Swin). Each against the reference executor, each pass run before and
// after through the reference kernels, and the patterns the passes must leave alone.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "lowp/graph_verifier.h"
#include "passes/activation_fusion.h"
#include "passes/gelu_fusion.h"
#include "passes/layer_norm_fusion.h"
#include "passes/matmul_add_fusion.h"
#include "tests/net_builder.h"

using namespace lowp;
using namespace lowp::testing;

namespace {

TEST(TransformerOps, TransposeOnOneDnnMatchesTheReference) {
  struct Case {
    Dims x;
    std::vector<int64_t> perm;  // empty: no attribute (reversed axes)
  };
  const Case cases[] = {{{2, 197, 12, 64}, {0, 2, 1, 3}},
                        {{3, 5}, {}},
                        {{2, 3, 4, 5, 6}, {4, 0, 3, 1, 2}},
                        {{1, 14, 14, 96}, {0, 3, 1, 2}}};
  for (const Case& c : cases) {
    SCOPED_TRACE(dims_to_string(c.x) + " perm " + dims_to_string(c.perm));
    Net n;
    std::map<std::string, Attribute> attrs;
    if (!c.perm.empty()) attrs["perm"] = c.perm;
    n.g->outputs = {n.op("Transpose", {n.input("x", c.x)}, attrs)};
    const auto lines = check_against_reference(n, {random_tensor(c.x, 41)}, 0.f);
    EXPECT_TRUE(mentions(lines, "onednn reorder (transpose)")) << lines.at(0);
  }
}

// Expand as a zero-stride reorder: F.normalize's expand_as (Swin V2), rank growth, and a shape
// of 1 where the input is larger (the input's dim wins).
TEST(TransformerOps, ExpandOnOneDnnMatchesTheReference) {
  struct Case {
    Dims x;
    std::vector<int64_t> shape;
    Dims y;
  };
  const Case cases[] = {{{2, 3, 16, 1}, {2, 3, 16, 8}, {2, 3, 16, 8}},
                        {{5}, {2, 3, 5}, {2, 3, 5}},
                        {{4, 1, 6}, {1, 3, 1}, {4, 3, 6}}};
  for (const Case& c : cases) {
    SCOPED_TRACE(dims_to_string(c.x) + " to " + dims_to_string(c.shape));
    Net n;
    n.g->outputs = {n.op("Expand", {n.input("x", c.x), n.constant(ints(c.shape))})};
    const auto lines = check_against_reference(n, {random_tensor(c.x, 43)}, 0.f);
    EXPECT_TRUE(mentions(lines, "onednn reorder (expand)")) << lines.at(0);
    EXPECT_EQ(n.g->outputs[0]->shape.to_string(), Shape::from_dims(c.y).to_string());
  }
}

TEST(TransformerOps, SliceOnOneDnnMatchesTheReference) {
  struct Case {
    Dims x;
    std::vector<int64_t> starts, ends, axes, steps;
    bool on_onednn;
  };
  const Case cases[] = {
      {{197, 2, 2304}, {768}, {1536}, {2}, {1}, true},         // attention's K of packed QKV
      {{2, 197, 768}, {0}, {1}, {1}, {}, true},                // the class token
      {{4, 9, 10}, {1, -8}, {100, -1}, {0, 2}, {2, 3}, true},  // steps, clamping, negatives
      {{4, 9, 10}, {-1}, {-100}, {1}, {-2}, false},            // negative step: reference
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(dims_to_string(c.x) + " starts " + dims_to_string(c.starts));
    Net n;
    std::vector<Value*> in = {n.input("x", c.x), n.constant(ints(c.starts)),
                              n.constant(ints(c.ends)), n.constant(ints(c.axes))};
    if (!c.steps.empty()) in.push_back(n.constant(ints(c.steps)));
    n.g->outputs = {n.op("Slice", in)};
    const auto lines = check_against_reference(n, {random_tensor(c.x, 42)}, 0.f);
    EXPECT_EQ(mentions(lines, "onednn reorder (slice)"), c.on_onednn) << lines.at(0);
  }
}

TEST(TransformerOps, MatMulOfActivationsOnOneDnnMatchesTheReference) {
  struct Case {
    Dims a, b;
  };
  const Case cases[] = {{{2, 12, 17, 64}, {2, 12, 64, 17}},  // Q K^T
                        {{12, 17, 17}, {12, 17, 64}},        // P V
                        {{2, 1, 5, 8}, {3, 8, 4}},           // broadcast batch dims
                        {{5, 8}, {3, 8, 4}},                 // 2-D A against a batch
                        {{6, 8}, {8, 4}}};                   // two 2-D activations
  for (const Case& c : cases) {
    SCOPED_TRACE(dims_to_string(c.a) + " x " + dims_to_string(c.b));
    Net n;
    n.g->outputs = {n.op("MatMul", {n.input("a", c.a), n.input("b", c.b)})};
    const auto lines =
        check_against_reference(n, {random_tensor(c.a, 43), random_tensor(c.b, 44)}, 1e-5f);
    EXPECT_TRUE(mentions(lines, "onednn matmul")) << lines.at(0);
  }
}

TEST(TransformerOps, GeluAgainstItsDefinitionAndOnOneDnn) {
  for (const char* approximate : {"none", "tanh"}) {
    SCOPED_TRACE(approximate);
    Net n;
    n.g->outputs = {
        n.op("Gelu", {n.input("x", {3, 50})}, {{"approximate", std::string(approximate)}})};
    const Tensor x = random_tensor({3, 50}, 45, -5.f, 5.f);
    const auto lines = check_against_reference(n, {x}, 1e-5f);
    EXPECT_TRUE(mentions(lines, "Gelu -> onednn eltwise")) << lines.at(0);
    const Tensor y = reference::run_graph(*n.g, {x}).at(0);
    for (int64_t i = 0; i < x.numel(); ++i) {
      const double v = x.data<float>()[i];
      const double want =
          std::string(approximate) == "none"
              ? 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)))
              : 0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)));
      EXPECT_NEAR(y.data<float>()[i], want, 1e-6 + 1e-6 * std::fabs(want)) << v;
    }
  }
  Net bad;
  bad.g->outputs = {bad.op("Gelu", {bad.input("x", {2})}, {{"approximate", std::string("fast")}})};
  try {
    propagate_shapes(*bad.g);
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("approximate is 'fast'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("Gelu"), std::string::npos) << e.what();
  }
}

// torch.onnx's opset-13 LayerNorm over the trailing axes from `axis`, optionally with gamma and
// beta of `row` dims; returns its output.
Value* layer_norm_pattern(Net& n, Value* x, const std::vector<int64_t>& axes, const Dims& row,
                          bool affine) {
  Value* ax = n.constant(ints(axes));
  Value* centred = n.op("Sub", {x, n.op("ReduceMean", {x, ax})});
  Value* var = n.op("ReduceMean", {n.op("Pow", {centred, n.constant(scalar(2.f))}), ax});
  Value* y = n.op("Div", {centred, n.op("Sqrt", {n.op("Add", {var, n.constant(scalar(1e-5f))})})});
  if (!affine) return y;
  y = n.op("Mul", {y, n.constant(random_tensor(row, 46, 0.5f, 1.5f))});
  return n.op("Add", {y, n.constant(random_tensor(row, 47))});
}

TEST(TransformerOps, LayerNormFusion) {
  struct Case {
    Dims x;
    std::vector<int64_t> axes;
    Dims row;
    bool affine;
    int64_t axis;
  };
  const Case cases[] = {{{2, 7, 32}, {-1}, {32}, true, 2},
                        {{2, 7, 32}, {2}, {1, 1, 32}, true, 2},  // gamma with leading 1s
                        {{2, 3, 4, 5}, {2, 3}, {4, 5}, true, 2},
                        {{2, 7, 32}, {-1}, {}, false, 2}};
  for (const Case& c : cases) {
    SCOPED_TRACE(dims_to_string(c.x) + " axes " + dims_to_string(c.axes));
    Net n;
    n.g->outputs = {layer_norm_pattern(n, n.input("x", c.x), c.axes, c.row, c.affine)};
    const std::vector<Tensor> in = {random_tensor(c.x, 48, -3.f, 3.f)};
    EXPECT_TRUE(run_pass_checked(LayerNormFusionPass(), n, in));
    ASSERT_EQ(count_ops(*n.g, "LayerNormalization"), 1);
    EXPECT_EQ(n.g->nodes().size(), 1u);
    EXPECT_EQ(n.g->nodes()[0]->attr_int("axis", -1), c.axis);
    EXPECT_FLOAT_EQ(n.g->nodes()[0]->attr_float("epsilon", 0.f), 1e-5f);
    const auto lines = check_against_reference(n, in, 1e-5f);
    EXPECT_TRUE(mentions(lines, "onednn layer_normalization")) << lines.at(0);
  }
}

TEST(TransformerOps, LayerNormFusionLeavesOtherPatternsAlone) {
  // Not the trailing axes: the mean over axis 1 of [2, 7, 32].
  Net middle;
  middle.g->outputs = {layer_norm_pattern(middle, middle.input("x", {2, 7, 32}), {1}, {}, false)};
  const std::vector<Tensor> in = {random_tensor({2, 7, 32}, 49)};
  EXPECT_FALSE(run_pass_checked(LayerNormFusionPass(), middle, in));
  // The centred value is also a graph output: it must stay.
  Net shared;
  Value* y = layer_norm_pattern(shared, shared.input("x", {2, 7, 32}), {-1}, {}, false);
  shared.g->outputs = {y, y->producer->input(0)};
  EXPECT_FALSE(run_pass_checked(LayerNormFusionPass(), shared, in));
  EXPECT_EQ(count_ops(*shared.g, "LayerNormalization"), 0);
  // A gamma that broadcasts over a normalised and a kept axis ([7, 32] for axis 2): the affine
  // part stays outside (the normalisation itself still fuses).
  Net wide;
  wide.g->outputs = {layer_norm_pattern(wide, wide.input("x", {2, 7, 32}), {-1}, {7, 32}, true)};
  EXPECT_TRUE(run_pass_checked(LayerNormFusionPass(), wide, in));
  EXPECT_EQ(count_ops(*wide.g, "Mul"), 1);
  EXPECT_EQ(count_ops(*wide.g, "Add"), 1);
}

// x * 0.5 * (1 + erf(x / sqrt 2)) in the orders torch.onnx and others emit.
Value* gelu_pattern(Net& n, Value* x, int variant, float half = 0.5f) {
  Value* scaled = variant == 2 ? n.op("Mul", {n.constant(scalar(1.f / std::sqrt(2.f))), x})
                               : n.op("Div", {x, n.constant(scalar(std::sqrt(2.f)))});
  Value* plus = n.op("Add", {n.constant(scalar(1.f)), n.op("Erf", {scaled})});
  if (variant == 1) return n.op("Mul", {n.op("Mul", {x, n.constant(scalar(half))}), plus});
  return n.op("Mul", {n.op("Mul", {x, plus}), n.constant(scalar(half))});
}

TEST(TransformerOps, GeluFusion) {
  for (int variant : {0, 1, 2}) {
    SCOPED_TRACE(variant);
    Net n;
    n.g->outputs = {gelu_pattern(n, n.input("x", {2, 9, 16}), variant)};
    const std::vector<Tensor> in = {random_tensor({2, 9, 16}, 50, -4.f, 4.f)};
    EXPECT_TRUE(run_pass_checked(GeluFusionPass(), n, in));
    EXPECT_EQ(n.g->nodes().size(), 1u);
    EXPECT_EQ(count_ops(*n.g, "Gelu"), 1);
  }
  // Not a GELU: 0.6 instead of 0.5; an intermediate used elsewhere.
  Net other;
  other.g->outputs = {gelu_pattern(other, other.input("x", {4, 8}), 0, 0.6f)};
  const std::vector<Tensor> in = {random_tensor({4, 8}, 51)};
  EXPECT_FALSE(run_pass_checked(GeluFusionPass(), other, in));
  Net shared;
  Value* y = gelu_pattern(shared, shared.input("x", {4, 8}), 0);
  Value* erf = nullptr;
  for (const auto& node : shared.g->nodes()) {
    if (node->op_type == "Erf") erf = node->outputs[0];
  }
  shared.g->outputs = {y, erf};
  EXPECT_FALSE(run_pass_checked(GeluFusionPass(), shared, in));
}

// nn.Linear on [batch, tokens, features] as exported: MatMul with a 2-D weight, Add of the bias,
// then an activation.
TEST(TransformerOps, MatMulBiasFusionOnThreeDimensionalInputs) {
  Net n;
  Value* x = n.input("x", {2, 5, 8});
  Value* mm = n.op("MatMul", {x, n.constant(random_tensor({8, 6}, 52))});
  Value* biased = n.op("Add", {n.constant(random_tensor({1, 1, 6}, 53)), mm});
  n.g->outputs = {n.op("Relu", {biased})};
  const std::vector<Tensor> in = {random_tensor({2, 5, 8}, 54)};
  EXPECT_TRUE(run_pass_checked(MatMulAddFusionPass(), n, in));
  EXPECT_TRUE(run_pass_checked(ActivationFusionPass(), n, in));
  ASSERT_EQ(n.g->nodes().size(), 1u);
  const Node& fused = *n.g->nodes()[0];
  EXPECT_EQ(fused.op_type, "MatMul");
  EXPECT_EQ(fused.inputs.size(), 3u);
  EXPECT_EQ(fused.activation.kind, ActivationKind::kRelu);
  const auto lines = check_against_reference(n, in, 1e-5f);
  EXPECT_TRUE(mentions(lines, "onednn inner_product")) << lines.at(0);
  EXPECT_TRUE(mentions(lines, "+relu")) << lines.at(0);
  // A backend that does not take the fused form keeps MatMul and Add apart.
  Net kept;
  Value* kx = kept.input("x", {2, 5, 8});
  kept.g->outputs = {
      kept.op("Add", {kept.op("MatMul", {kx, kept.constant(random_tensor({8, 6}, 52))}),
                      kept.constant(random_tensor({6}, 53))})};
  PassContext refuses;
  refuses.backend_supports = [](const Node& node) { return node.inputs.size() < 3; };
  EXPECT_FALSE(run_pass_checked(MatMulAddFusionPass(), kept, in, refuses));
  // A bias that is not one row ([5, 6] varies over tokens) is not a bias.
  Net matrix;
  Value* mx = matrix.input("x", {2, 5, 8});
  matrix.g->outputs = {
      matrix.op("Add", {matrix.op("MatMul", {mx, matrix.constant(random_tensor({8, 6}, 52))}),
                        matrix.constant(random_tensor({5, 6}, 55))})};
  EXPECT_FALSE(run_pass_checked(MatMulAddFusionPass(), matrix, in));
}

TEST(TransformerOps, MatMulBiasOfTheWrongSizeIsRefused) {
  Net n;
  Value* x = n.input("x", {2, 5, 8});
  n.g->outputs = {n.op(
      "MatMul", {x, n.constant(random_tensor({8, 6}, 56)), n.constant(random_tensor({5}, 57))})};
  try {
    propagate_shapes(*n.g);
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("the bias [5] is not one row of [6]"), std::string::npos)
        << e.what();
  }
}

}  // namespace

namespace {

// Swin's shifted-window mask is built with ScatterND: data with slices replaced by updates.
TEST(TransformerOps, ScatterNdReplacesAndCombinesSlices) {
  Net n;
  Value* data = n.input("data", {4, 3});
  Tensor idx(DataType::kS64, {2, 1});
  idx.data<int64_t>()[0] = -1;  // the last row
  idx.data<int64_t>()[1] = 1;
  Value* updates = n.input("updates", {2, 3});
  n.g->outputs = {n.op("ScatterND", {data, n.constant(idx.clone()), updates}),
                  n.op("ScatterND", {data, n.constant(idx.clone()), updates},
                       {{"reduction", std::string("add")}})};
  Tensor d(DataType::kF32, {4, 3});
  Tensor u(DataType::kF32, {2, 3});
  for (int i = 0; i < 12; ++i) d.data<float>()[i] = static_cast<float>(i);
  for (int i = 0; i < 6; ++i) u.data<float>()[i] = 100.f + static_cast<float>(i);
  check_against_reference(n, {d, u}, 0.f);
  const auto y = reference::run_graph(*n.g, {d, u});
  EXPECT_EQ(y[0].to_float(), (std::vector<float>{0, 1, 2, 103, 104, 105, 6, 7, 8, 100, 101, 102}));
  EXPECT_EQ(y[1].to_float(), (std::vector<float>{0, 1, 2, 106, 108, 110, 6, 7, 8, 109, 111, 113}));
  // An index past the end is an error naming the node, not a write out of bounds.
  Tensor far(DataType::kS64, {1, 1});
  far.data<int64_t>()[0] = 4;
  Net bad;
  bad.g->outputs = {bad.op(
      "ScatterND", {bad.input("data", {4, 3}), bad.constant(far), bad.input("updates", {1, 3})})};
  propagate_shapes(*bad.g);
  try {
    reference::run_graph(*bad.g, {d, random_tensor({1, 3}, 58)});
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("index 4 is out of range for dim 0 of size 4"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("ScatterND"), std::string::npos) << e.what();
  }
  // Indices addressing more dims than data has, and updates of the wrong dims.
  Tensor deep(DataType::kS64, {1, 3});
  Net too_deep;
  too_deep.g->outputs = {too_deep.op(
      "ScatterND",
      {too_deep.input("data", {4, 3}), too_deep.constant(deep), too_deep.input("updates", {1})})};
  EXPECT_THROW(propagate_shapes(*too_deep.g), Error);
  Net wrong;
  wrong.g->outputs = {wrong.op(
      "ScatterND",
      {wrong.input("data", {4, 3}), wrong.constant(idx.clone()), wrong.input("updates", {2, 4})})};
  EXPECT_THROW(propagate_shapes(*wrong.g), Error);
}

}  // namespace

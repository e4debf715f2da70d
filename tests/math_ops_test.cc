// The math and generator ops (ReduceMean, Sqrt, Erf, Pow, Mod, Equal, Not, Where, Expand,
// ConstantOfShape, Range): the CPU engine (oneDNN reduction and eltwise where it lowers them)
// against the reference executor on random shapes, the LayerNorm / GELU decompositions that
// opset-13 exports emit, and bad inputs refused with the node named. ONNX's node tests for these
// ops run in onnx_node_test.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "lowp/lowp.h"
#include "lowp/shape_propagation.h"
#include "reference/reference_executor.h"
#include "tests/net_builder.h"
#include "tests/test_util.h"

using namespace lowp;
using namespace lowp::testing;

namespace {

TEST(MathOps, ReductionsOnOneDnnMatchTheReference) {
  struct Case {
    Dims x;
    std::vector<int64_t> axes;
    int64_t keepdims;
  };
  const Case cases[] = {{{2, 8, 5, 5}, {2, 3}, 1}, {{2, 8, 5, 5}, {-1}, 0}, {{3, 7, 16}, {-1}, 1},
                        {{4, 6}, {0}, 0},          {{2, 3, 4}, {}, 1},      {{2, 3, 4}, {0, 2}, 0}};
  const std::pair<const char*, const char*> ops[] = {{"ReduceMean", "mean"},
                                                     {"ReduceSum", "sum"},
                                                     {"ReduceL1", "l1"},
                                                     {"ReduceL2", "l2"},
                                                     {"ReduceSumSquare", "sumsquare"}};
  for (const auto& [op, says] : ops) {
    for (const Case& c : cases) {
      SCOPED_TRACE(std::string(op) + " " + dims_to_string(c.x) + " axes " + dims_to_string(c.axes));
      Net n;
      std::vector<Value*> in = {n.input("x", c.x)};
      if (!c.axes.empty()) in.push_back(n.constant(ints(c.axes)));
      n.g->outputs = {n.op(op, in, {{"keepdims", c.keepdims}})};
      const auto lines = check_against_reference(n, {random_tensor(c.x, 11, -3.f, 3.f)}, 2e-5f);
      EXPECT_TRUE(mentions(lines, std::string("onednn reduction ") + says))
          << (lines.empty() ? "" : lines[0]);
    }
  }
  // A mean over axes of size 1 (ShuffleNetV2's x.mean([2, 3]) of a 1x1 map) is the input.
  for (int64_t keepdims : {0, 1}) {
    Net n;
    Value* x = n.input("x", {2, 8, 1, 1});
    n.g->outputs = {n.op("Relu", {n.op("ReduceMean", {n.op("Relu", {x}), n.constant(ints({2, 3}))},
                                       {{"keepdims", keepdims}})})};
    const auto lines = check_against_reference(n, {random_tensor({2, 8, 1, 1}, 12)}, 0.f);
    EXPECT_TRUE(mentions(lines, "alias (mean over axes of size 1")) << lines.at(0);
  }
}

// LayerNorm as torch.onnx exports it at opset 13 (ConvNeXt, ViT): ReduceMean, Sub, Pow, Sqrt, Div.
TEST(MathOps, LayerNormAndGeluDecompositions) {
  Net n;
  Value* x = n.input("x", {2, 5, 16});
  Value* axes = n.constant(ints({-1}));
  Value* mean = n.op("ReduceMean", {x, axes});
  Value* centred = n.op("Sub", {x, mean});
  Tensor two(DataType::kF32, {});
  *two.data<float>() = 2.f;
  Value* var = n.op("ReduceMean", {n.op("Pow", {centred, n.constant(std::move(two))}), axes});
  Tensor eps(DataType::kF32, {});
  *eps.data<float>() = 1e-6f;
  Value* norm = n.op("Div", {centred, n.op("Sqrt", {n.op("Add", {var, n.constant(eps)})})});
  // GELU: x * 0.5 * (1 + erf(x / sqrt(2))).
  Tensor root2(DataType::kF32, {});
  *root2.data<float>() = std::sqrt(2.f);
  Tensor one(DataType::kF32, {});
  *one.data<float>() = 1.f;
  Tensor half(DataType::kF32, {});
  *half.data<float>() = 0.5f;
  Value* erf = n.op("Erf", {n.op("Div", {norm, n.constant(std::move(root2))})});
  Value* gelu = n.op("Mul", {n.op("Mul", {norm, n.op("Add", {erf, n.constant(std::move(one))})}),
                             n.constant(std::move(half))});
  n.g->outputs = {gelu};
  const Tensor in = random_tensor({2, 5, 16}, 12, -4.f, 4.f);
  // As exported (the fusion passes off): Sqrt and Pow on oneDNN eltwise.
  CompileOptions unfused;
  unfused.disabled_passes = {"layer-norm-fusion", "gelu-fusion"};
  const auto lines = check_against_reference(n, {in}, 1e-5f, unfused);
  int eltwise = 0;
  for (const std::string& line : lines) {  // Sqrt and Pow (scalar exponent, negative bases)
    if (line.find(" Sqrt -> ") != std::string::npos || line.find(" Pow -> ") != std::string::npos) {
      EXPECT_NE(line.find("onednn eltwise"), std::string::npos) << line;
      ++eltwise;
    }
  }
  EXPECT_EQ(eltwise, 2);
  // Fused (the default): one LayerNormalization and one Gelu, both on oneDNN.
  const auto fused = check_against_reference(n, {in});
  EXPECT_TRUE(mentions(fused, "LayerNormalization -> onednn layer_normalization"));
  EXPECT_TRUE(mentions(fused, "Gelu -> onednn eltwise"));
  EXPECT_FALSE(mentions(fused, " Erf -> "));
  // Against a direct computation.
  const Tensor y = reference::run_graph(*n.g, {in}).at(0);
  for (int64_t row = 0; row < 10; ++row) {
    const float* v = in.data<float>() + row * 16;
    double m = 0, s = 0;
    for (int i = 0; i < 16; ++i) m += v[i] / 16.0;
    for (int i = 0; i < 16; ++i) s += (v[i] - m) * (v[i] - m) / 16.0;
    for (int i = 0; i < 16; ++i) {
      const double z = (v[i] - m) / std::sqrt(s + 1e-6);
      const double want = 0.5 * z * (1 + std::erf(z / std::sqrt(2.0)));
      EXPECT_NEAR(y.data<float>()[row * 16 + i], want, 1e-5) << row << "," << i;
    }
  }
}

// LayerNormalization (opset 17) on oneDNN against the reference kernel, and the reference kernel
// against the opset-13 decomposition (ReduceMean, Sub, Pow, Sqrt, Div, Mul, Add).
TEST(MathOps, LayerNormalizationOnOneDnnAndAgainstItsDecomposition) {
  struct Case {
    Dims x;
    int64_t axis;
    Dims scale;
  };
  const Case cases[] = {{{2, 5, 16}, -1, {16}}, {{2, 3, 4, 5}, 1, {4, 5}}, {{3, 8}, 0, {3, 8}}};
  for (const Case& c : cases) {
    SCOPED_TRACE(dims_to_string(c.x) + " axis " + std::to_string(c.axis));
    Net n;
    Value* x = n.input("x", c.x);
    Value* scale = n.constant(random_tensor(c.scale, 31, 0.5f, 1.5f));
    Value* bias = n.constant(random_tensor(c.scale, 32));
    Tensor eps(DataType::kF32, {});
    *eps.data<float>() = 1e-3f;
    n.g->outputs = {
        n.op("LayerNormalization", {x, scale, bias}, {{"axis", c.axis}, {"epsilon", 1e-3f}})};
    const Tensor in = random_tensor(c.x, 33, -2.f, 2.f);
    const auto lines = check_against_reference(n, {in});
    EXPECT_TRUE(mentions(lines, "onednn layer_normalization")) << (lines.empty() ? "" : lines[0]);
    // The decomposition, over the same axes.
    Net d;
    Value* dx = d.input("x", c.x);
    std::vector<int64_t> axes;
    for (auto a = static_cast<int64_t>(c.axis < 0 ? c.axis + c.x.size() : c.axis);
         a < static_cast<int64_t>(c.x.size()); ++a) {
      axes.push_back(a);
    }
    Value* ax = d.constant(ints(axes));
    Value* centred = d.op("Sub", {dx, d.op("ReduceMean", {dx, ax})});
    Tensor two(DataType::kF32, {});
    *two.data<float>() = 2.f;
    Value* var = d.op("ReduceMean", {d.op("Pow", {centred, d.constant(two)}), ax});
    Value* norm = d.op("Div", {centred, d.op("Sqrt", {d.op("Add", {var, d.constant(eps)})})});
    d.g->outputs = {d.op("Add", {d.op("Mul", {norm, d.constant(scale->constant->clone())}),
                                 d.constant(bias->constant->clone())})};
    propagate_shapes(*d.g);
    EXPECT_LT(max_abs_diff(reference::run_graph(*n.g, {in}).at(0),
                           reference::run_graph(*d.g, {in}).at(0)),
              1e-5f);
  }
}

// ViT / Swin shape arithmetic: ConstantOfShape, Equal, Where, Expand, Range, Mod, Not.
TEST(MathOps, ShapeArithmeticOps) {
  Net n;
  Value* x = n.input("x", {3, 1});
  Tensor seven(DataType::kS64, {1});
  seven.data<int64_t>()[0] = 7;
  Tensor fill(DataType::kS64, {1});
  fill.data<int64_t>()[0] = 2;
  Value* twos = n.op("ConstantOfShape", {n.constant(ints({4}))}, {{"value", fill}});
  Tensor r0(DataType::kS64, {}), r1(DataType::kS64, {}), r2(DataType::kS64, {});
  *r0.data<int64_t>() = -3;
  *r1.data<int64_t>() = 9;
  *r2.data<int64_t>() = 3;
  Value* range = n.op("Range", {n.constant(r0), n.constant(r1), n.constant(r2)});  // -3 0 3 6
  Value* mod = n.op("Mod", {range, twos});                                         // 1 0 1 0
  Value* is_zero = n.op("Equal", {mod, n.constant(ints({0}))});
  Value* odd = n.op("Not", {is_zero});
  Value* wide = n.op("Expand", {x, n.constant(ints({3, 4}))});
  Tensor zero(DataType::kF32, {});
  n.g->outputs = {n.op("Where", {odd, wide, n.constant(zero)}), mod};
  Tensor in(DataType::kF32, {3, 1});
  for (int i = 0; i < 3; ++i) in.data<float>()[i] = static_cast<float>(i + 1);
  check_against_reference(n, {in});
  const auto y = reference::run_graph(*n.g, {in});
  const std::vector<float> where = y[0].to_float();
  const std::vector<float> want = {1, 0, 1, 0, 2, 0, 2, 0, 3, 0, 3, 0};
  EXPECT_EQ(where, want);
  EXPECT_EQ(y[1].to_int64(), (std::vector<int64_t>{1, 0, 1, 0}));  // Python-style: -3 mod 2 = 1
}

// ConvNeXt once failed to compile: at batch 1 an operand of rank 3 whose dims, aligned, equal
// the output's was reordered straight into the conv output's 4-D blocked layout.
TEST(MathOps, LowerRankOperandAfterAConv) {
  for (const char* op : {"Add", "Mul", "Sub"}) {
    SCOPED_TRACE(op);
    Net n;
    Value* x = n.input("x", {1, 8, 6, 6});
    Value* c = n.op("Conv", {x, n.constant(random_tensor({16, 8, 3, 3}, 21, -0.3f, 0.3f))},
                    {{"pads", std::vector<int64_t>{1, 1, 1, 1}}});
    n.g->outputs = {n.op(op, {c, n.constant(random_tensor({16, 6, 6}, 22))})};
    check_against_reference(n, {random_tensor({1, 8, 6, 6}, 23)}, 1e-4f);
  }
}

std::string error_of(Net& n, const std::vector<Tensor>& inputs) {
  try {
    propagate_shapes(*n.g);
    reference::run_graph(*n.g, inputs);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(MathOps, BadInputsAreClearErrors) {
  {
    Net n;  // 2^40 elements
    Tensor lo(DataType::kS64, {}), hi(DataType::kS64, {}), step(DataType::kS64, {});
    *hi.data<int64_t>() = int64_t{1} << 40;
    *step.data<int64_t>() = 1;
    n.g->outputs = {n.op("Range", {n.constant(lo), n.constant(hi), n.constant(step)})};
    EXPECT_NE(error_of(n, {}).find("Range"), std::string::npos);
  }
  {
    Net n;  // extremes of int64 do not overflow the count
    Tensor lo(DataType::kS64, {}), hi(DataType::kS64, {}), step(DataType::kS64, {});
    *lo.data<int64_t>() = INT64_MIN;
    *hi.data<int64_t>() = INT64_MAX;
    *step.data<int64_t>() = INT64_MAX;
    n.g->outputs = {n.op("Range", {n.constant(lo), n.constant(hi), n.constant(step)})};
    EXPECT_EQ(error_of(n, {}), "no error");
  }
  {
    Net n;
    Tensor lo(DataType::kS64, {}), step(DataType::kS64, {});
    n.g->outputs = {n.op("Range", {n.constant(lo), n.constant(lo), n.constant(step)})};
    EXPECT_NE(error_of(n, {}).find("delta is 0"), std::string::npos);
  }
  {
    Net n;
    n.g->outputs = {n.op("ConstantOfShape", {n.constant(ints({2, -1}))})};
    EXPECT_NE(error_of(n, {}).find("negative"), std::string::npos);
  }
  {
    Net n;
    Value* x = n.input("x", {3, 2});
    n.g->outputs = {n.op("Expand", {x, n.constant(ints({4, 2}))})};
    EXPECT_NE(error_of(n, {Tensor(DataType::kF32, {3, 2})}).find("Expand"), std::string::npos);
  }
  {
    Net n;
    Value* x = n.input("x", {2}, DataType::kS64);
    n.g->outputs = {n.op("Mod", {x, n.constant(ints({0}))})};
    EXPECT_NE(error_of(n, {ints({5, 6})}).find("Mod by zero"), std::string::npos);
  }
  {
    Net n;
    Value* x = n.input("x", {2, 3});
    n.g->outputs = {n.op("ReduceMean", {x, n.constant(ints({1, -1}))})};
    EXPECT_NE(error_of(n, {Tensor(DataType::kF32, {2, 3})}).find("repeated"), std::string::npos);
  }
  {
    Net n;
    Value* x = n.input("x", {2});
    Value* y = n.input("y", {2});
    n.g->outputs = {n.op("Mod", {x, y})};  // floats need fmod=1
    EXPECT_NE(error_of(n, {Tensor(DataType::kF32, {2}), Tensor(DataType::kF32, {2})}).find("fmod"),
              std::string::npos);
  }
}

}  // namespace

namespace {

// Standalone activations (not fused into a producer: the input is a graph input, or, as in
// MobileNetV3's x * HardSigmoid(x), the producer's output is used twice) on oneDNN eltwise;
// HardSigmoid as linear, then clip in place.
TEST(MathOps, StandaloneActivationsOnOneDnn) {
  const std::vector<std::pair<std::string, std::map<std::string, Attribute>>> ops = {
      {"Relu", {}},
      {"LeakyRelu", {{"alpha", 0.2f}}},
      {"Sigmoid", {}},
      {"Tanh", {}},
      {"HardSwish", {}},
      {"HardSigmoid", {}},
      {"HardSigmoid", {{"alpha", 0.25f}, {"beta", 0.4f}}}};
  // 1-D takes oneDNN's reference implementation (whose eltwise post-ops are broken in 2.6).
  for (const Dims& dims : {Dims{2, 3, 5, 5}, Dims{7}}) {
    for (const auto& [op, attrs] : ops) {
      SCOPED_TRACE(op + " " + dims_to_string(dims));
      Net n;
      Value* x = n.input("x", dims);
      n.g->outputs = {n.op("Mul", {x, n.op(op, {x}, attrs)})};
      const auto lines = check_against_reference(n, {random_tensor(dims, 80, -5.f, 5.f)});
      EXPECT_TRUE(mentions(lines, " " + op + " -> onednn eltwise")) << lines.at(0);
    }
  }
}

}  // namespace

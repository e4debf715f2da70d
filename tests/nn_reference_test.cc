// The nn op group: shape inference (schemas) and reference kernels for Conv, ConvTranspose, pools,
// Gemm, MatMul, BatchNormalization, Softmax, Resize and Pad. Hand-checked small cases, a naive
// direct convolution as a second oracle, and ONNX's own node tests where they are installed.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "frontends/onnx/onnx_importer.h"
#include "lowp/error.h"
#include "lowp/graph.h"
#include "lowp/op_schema.h"
#include "reference/reference_kernels.h"
#include "tests/test_util.h"

namespace lowp {
namespace {

Tensor f32(const Dims& dims, const std::vector<float>& values) {
  Tensor t(DataType::kF32, dims);
  EXPECT_EQ(static_cast<size_t>(t.numel()), values.size());
  for (size_t i = 0; i < values.size() && i < static_cast<size_t>(t.numel()); ++i) {
    t.data<float>()[i] = values[i];
  }
  return t;
}

Tensor s64(const Dims& dims, const std::vector<int64_t>& values) {
  Tensor t(DataType::kS64, dims);
  for (size_t i = 0; i < values.size(); ++i) t.data<int64_t>()[i] = values[i];
  return t;
}

Tensor iota(const Dims& dims) {
  Tensor t(DataType::kF32, dims);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(i);
  return t;
}

// A one-node graph; inputs with dtype kUndefined are omitted optional inputs.
struct OneNode {
  Graph graph;
  Node* node = nullptr;
};

std::unique_ptr<OneNode> make_node(const std::string& op, const std::vector<const Tensor*>& inputs,
                                   std::map<std::string, Attribute> attrs, int outputs = 1) {
  auto n = std::make_unique<OneNode>();
  std::vector<Value*> ins;
  for (size_t i = 0; i < inputs.size(); ++i) {
    ins.push_back(inputs[i] ? n->graph.add_value("in" + std::to_string(i), inputs[i]->dtype(),
                                                 Shape::from_dims(inputs[i]->dims()))
                            : nullptr);
  }
  std::vector<Value*> outs;
  for (int i = 0; i < outputs; ++i) outs.push_back(n->graph.add_value("out" + std::to_string(i)));
  n->node = n->graph.add_node(op, "test_" + op, ins, outs);
  n->node->attributes = std::move(attrs);
  return n;
}

std::vector<TensorInfo> infos(const std::vector<const Tensor*>& inputs) {
  std::vector<TensorInfo> info;
  for (const Tensor* t : inputs) {
    TensorInfo i;
    if (t) {
      i.dtype = t->dtype();
      i.dims = t->dims();
      i.value = t;
    } else {
      i.present = false;
    }
    info.push_back(i);
  }
  return info;
}

std::vector<Tensor> run_node(const Node& node, const std::vector<const Tensor*>& inputs) {
  const std::vector<TensorInfo> out_info = infer_node(node, infos(inputs));
  std::vector<Tensor> outs;
  for (const TensorInfo& o : out_info) outs.emplace_back(o.dtype, o.dims);
  std::vector<Tensor*> out_ptrs;
  for (size_t i = 0; i < outs.size(); ++i) {
    out_ptrs.push_back(out_info[i].present && i < node.outputs.size() && node.outputs[i] ? &outs[i]
                                                                                         : nullptr);
  }
  reference::Kernel kernel = reference::find_kernel(node.op_type);
  if (!kernel) throw Error(ErrorCode::kUnsupported, "no kernel for " + node.op_type);
  kernel(node, inputs, out_ptrs);
  return outs;
}

std::vector<Tensor> run(const std::string& op, const std::vector<const Tensor*>& inputs,
                        std::map<std::string, Attribute> attrs = {}, int outputs = 1) {
  auto n = make_node(op, inputs, std::move(attrs), outputs);
  return run_node(*n->node, inputs);
}

// The op with `activation` fused into it, as the activation fusion pass leaves it.
std::vector<Tensor> run_fused(const FusedActivation& activation, const std::string& op,
                              const std::vector<const Tensor*>& inputs,
                              std::map<std::string, Attribute> attrs = {}) {
  auto n = make_node(op, inputs, std::move(attrs), 1);
  n->node->activation = activation;
  return run_node(*n->node, inputs);
}

const FusedActivation kRelu = FusedActivation::of(ActivationKind::kRelu);

void expect_values(const Tensor& t, const Dims& dims, const std::vector<float>& want,
                   float tol = 1e-4f) {
  ASSERT_EQ(t.dims(), dims);
  const std::vector<float> got = t.to_float();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "at " << i;
}

// ---- Conv ---------------------------------------------------------------------------------------

TEST(NnConv, PaddingAndNoPadding) {
  const Tensor x = iota({1, 1, 5, 5});
  const Tensor w = f32({1, 1, 3, 3}, std::vector<float>(9, 1.f));
  expect_values(run("Conv", {&x, &w}, {{"pads", Dims{1, 1, 1, 1}}})[0], {1, 1, 5, 5},
                {12,  21, 27, 33,  24,  33,  54,  63, 72,  51,  63,  99, 108,
                 117, 81, 93, 144, 153, 162, 111, 72, 111, 117, 123, 84});
  expect_values(run("Conv", {&x, &w})[0], {1, 1, 3, 3}, {54, 63, 72, 99, 108, 117, 144, 153, 162});
}

TEST(NnConv, StrideAndAutoPad) {
  const Tensor x = iota({1, 1, 7, 5});
  const Tensor w = f32({1, 1, 3, 3}, std::vector<float>(9, 1.f));
  expect_values(run("Conv", {&x, &w}, {{"pads", Dims{1, 1, 1, 1}}, {"strides", Dims{2, 2}}})[0],
                {1, 1, 4, 3}, {12, 27, 24, 63, 108, 81, 123, 198, 141, 112, 177, 124});
  const Tensor x5 = iota({1, 1, 5, 5});
  expect_values(
      run("Conv", {&x5, &w}, {{"auto_pad", std::string("SAME_LOWER")}, {"strides", Dims{2, 2}}})[0],
      {1, 1, 3, 3}, {12, 27, 24, 63, 108, 81, 72, 117, 84});
}

TEST(NnConv, BiasReluResidualGroup) {
  // Two groups of one channel each (depthwise), 1x1 kernels.
  const Tensor x = f32({1, 2, 1, 2}, {1, -2, 3, 4});
  const Tensor w = f32({2, 1, 1, 1}, {2, -1});
  const Tensor b = f32({2}, {1, 0});
  const Tensor r = f32({1, 2, 1, 2}, {0.5f, 0.5f, 10, 0});
  const auto y = run_fused(kRelu, "Conv", {&x, &w, &b, &r}, {{"group", int64_t{2}}})[0];
  // ch0: 2x+1+r = 3.5, -2.5 -> relu 0; ch1: -x + r = 7, -4 -> 0
  expect_values(y, {1, 2, 1, 2}, {3.5f, 0, 7, 0});
}

TEST(NnConv, DilationOneD) {
  const Tensor x = iota({1, 1, 6});
  const Tensor w = f32({1, 1, 2}, {1, 10});
  expect_values(run("Conv", {&x, &w}, {{"dilations", Dims{2}}})[0], {1, 1, 4}, {20, 31, 42, 53});
}

// A naive direct convolution (NCHW, 2-D) as a second oracle for random configurations.
Tensor naive_conv2d(const Tensor& x, const Tensor& w, int64_t group, const Dims& s, const Dims& d,
                    const Dims& p, const Dims& out_dims) {
  Tensor y(DataType::kF32, out_dims);
  const int64_t c = x.dims()[1], h = x.dims()[2], wd = x.dims()[3];
  const int64_t m = w.dims()[0], cg = w.dims()[1], kh = w.dims()[2], kw = w.dims()[3];
  const int64_t mg = m / group;
  for (int64_t n = 0; n < out_dims[0]; ++n)
    for (int64_t o = 0; o < m; ++o)
      for (int64_t oy = 0; oy < out_dims[2]; ++oy)
        for (int64_t ox = 0; ox < out_dims[3]; ++ox) {
          double acc = 0;
          for (int64_t ci = 0; ci < cg; ++ci)
            for (int64_t ky = 0; ky < kh; ++ky)
              for (int64_t kx = 0; kx < kw; ++kx) {
                const int64_t iy = oy * s[0] - p[0] + ky * d[0];
                const int64_t ix = ox * s[1] - p[1] + kx * d[1];
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                const int64_t ch = (o / mg) * cg + ci;
                acc += x.data<float>()[((n * c + ch) * h + iy) * wd + ix] *
                       w.data<float>()[((o * cg + ci) * kh + ky) * kw + kx];
              }
          y.data<float>()[((n * m + o) * out_dims[2] + oy) * out_dims[3] + ox] =
              static_cast<float>(acc);
        }
  return y;
}

TEST(NnConv, MatchesNaiveConvolution) {
  struct Case {
    int64_t group, cin, cout, k;
    Dims strides, dilations, pads;
  };
  const Case cases[] = {{1, 3, 4, 3, {1, 1}, {1, 1}, {1, 1, 1, 1}},
                        {2, 4, 6, 3, {2, 1}, {1, 2}, {0, 2, 1, 0}},
                        {4, 4, 4, 3, {2, 2}, {1, 1}, {1, 1, 1, 1}},
                        {1, 5, 3, 1, {1, 1}, {1, 1}, {0, 0, 0, 0}},
                        {1, 2, 3, 5, {3, 2}, {2, 1}, {2, 1, 3, 2}}};
  uint32_t seed = 1;
  for (const Case& c : cases) {
    const Tensor x = testing::random_tensor({2, c.cin, 9, 11}, seed++);
    const Tensor w = testing::random_tensor({c.cout, c.cin / c.group, c.k, c.k}, seed++);
    const auto y = run("Conv", {&x, &w},
                       {{"group", c.group},
                        {"strides", c.strides},
                        {"dilations", c.dilations},
                        {"pads", c.pads}})[0];
    const Tensor want = naive_conv2d(x, w, c.group, c.strides, c.dilations, c.pads, y.dims());
    EXPECT_LT(testing::max_abs_diff(y, want), 1e-4f) << "group " << c.group << " k " << c.k;
  }
}

TEST(NnConv, ShapeErrorsNameTheNode) {
  const Tensor x = iota({1, 1, 5});
  const Tensor w = f32({1, 1, 3, 3}, std::vector<float>(9, 1.f));
  try {
    run("Conv", {&x, &w});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidModel);
    EXPECT_NE(std::string(e.what()).find("test_Conv"), std::string::npos) << e.what();
  }
  const Tensor x4 = iota({1, 2, 5, 5});
  EXPECT_THROW(run("Conv", {&x4, &w}), Error);  // channel mismatch
  const Tensor x2 = iota({3, 4});
  EXPECT_THROW(run("MaxPool", {&x2}, {{"kernel_shape", Dims{2}}}), Error);
  const Tensor a = iota({2, 3});
  EXPECT_THROW(run("MatMul", {&a, &a}), Error);
}

TEST(NnConv, FusedActivationOnlyWhereTheSchemaAllows) {
  const Tensor x = iota({1, 2, 5, 5});
  const Tensor w = iota({3, 2, 1, 1});
  EXPECT_NO_THROW(run_fused(kRelu, "Conv", {&x, &w}));
  EXPECT_NO_THROW(run("MaxPool", {&x}, {{"kernel_shape", Dims{1, 1}}}));
  auto message = [](const std::function<void()>& f) {
    try {
      f();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string pool = message([&] {
    run_fused(kRelu, "MaxPool", {&x}, {{"kernel_shape", Dims{1, 1}}});
  });
  EXPECT_NE(pool.find("test_MaxPool"), std::string::npos) << pool;
  EXPECT_NE(pool.find("fused Relu"), std::string::npos) << pool;
  FusedActivation corrupt;
  corrupt.kind = static_cast<ActivationKind>(99);
  const std::string conv = message([&] { run_fused(corrupt, "Conv", {&x, &w}); });
  EXPECT_NE(conv.find("test_Conv"), std::string::npos) << conv;
}

TEST(NnShapes, SymbolicBatchAndSameUpper) {
  const Tensor w = f32({4, 3, 3, 3}, std::vector<float>(108, 0.f));
  auto n = make_node("Conv", {&w, &w},
                     {{"auto_pad", std::string("SAME_UPPER")}, {"strides", Dims{2, 2}}});
  std::vector<TensorInfo> in(2);
  in[0].dtype = in[1].dtype = DataType::kF32;
  in[0].dims = {-1, 3, 9, 8};
  in[1].dims = w.dims();
  const auto out = infer_node(*n->node, in);
  EXPECT_EQ(out[0].dims, (Dims{-1, 4, 5, 4}));
  EXPECT_EQ(out[0].dtype, DataType::kF32);
}

TEST(NnConvTranspose, Simple) {
  // ONNX's test_convtranspose: x 3x3 iota, two 3x3 all-ones kernels.
  const Tensor x = iota({1, 1, 3, 3});
  const Tensor w = f32({1, 2, 3, 3}, std::vector<float>(18, 1.f));
  const std::vector<float> plane = {0,  1,  3, 3,  2,  3,  8,  15, 12, 7,  9,  21, 36,
                                    27, 15, 9, 20, 33, 24, 13, 6,  13, 21, 15, 8};
  std::vector<float> want = plane;
  want.insert(want.end(), plane.begin(), plane.end());
  expect_values(run("ConvTranspose", {&x, &w})[0], {1, 2, 5, 5}, want);
  // Stride 2 with output_shape crops / pads symmetrically.
  const auto y =
      run("ConvTranspose", {&x, &w}, {{"strides", Dims{3, 2}}, {"output_shape", Dims{10, 8}}})[0];
  EXPECT_EQ(y.dims(), (Dims{1, 2, 10, 8}));
}

// ---- Pools --------------------------------------------------------------------------------------

TEST(NnPool, MaxPoolPadsStridesIndices) {
  const Tensor x = iota({1, 1, 4, 4});
  const auto out = run("MaxPool", {&x}, {{"kernel_shape", Dims{2, 2}}, {"strides", Dims{2, 2}}}, 2);
  expect_values(out[0], {1, 1, 2, 2}, {5, 7, 13, 15});
  EXPECT_EQ(out[1].dtype(), DataType::kS64);
  EXPECT_EQ(out[1].to_int64(), (std::vector<int64_t>{5, 7, 13, 15}));
  const auto col = run(
      "MaxPool", {&x},
      {{"kernel_shape", Dims{2, 2}}, {"strides", Dims{2, 2}}, {"storage_order", int64_t{1}}}, 2);
  EXPECT_EQ(col[1].to_int64(), (std::vector<int64_t>{5, 13, 7, 15}));
  expect_values(
      run("MaxPool", {&x},
          {{"kernel_shape", Dims{3, 3}}, {"strides", Dims{2, 2}}, {"ceil_mode", int64_t{1}}})[0],
      {1, 1, 2, 2}, {10, 11, 14, 15});
  const Tensor x5 = iota({1, 1, 5, 5});
  expect_values(run("MaxPool", {&x5},
                    {{"kernel_shape", Dims{2, 2}},
                     {"dilations", Dims{2, 2}},
                     {"pads", Dims{1, 1, 0, 0}},
                     {"strides", Dims{3, 3}}})[0],
                {1, 1, 2, 2}, {6, 9, 21, 24});
}

TEST(NnPool, AveragePoolCountIncludePad) {
  const Tensor x = f32({1, 1, 2, 2}, {1, 2, 3, 4});
  const std::map<std::string, Attribute> base = {{"kernel_shape", Dims{2, 2}},
                                                 {"pads", Dims{1, 1, 0, 0}}};
  expect_values(run("AveragePool", {&x}, base)[0], {1, 1, 2, 2}, {1, 1.5f, 2, 2.5f});
  auto incl = base;
  incl["count_include_pad"] = int64_t{1};
  expect_values(run("AveragePool", {&x}, incl)[0], {1, 1, 2, 2}, {0.25f, 0.75f, 1, 2.5f});
  // ceil_mode: the last window runs past the input and is averaged over its valid taps only.
  const Tensor x3 = iota({1, 1, 1, 3});
  expect_values(
      run("AveragePool", {&x3},
          {{"kernel_shape", Dims{1, 2}}, {"strides", Dims{1, 2}}, {"ceil_mode", int64_t{1}}})[0],
      {1, 1, 1, 2}, {0.5f, 2});
}

TEST(NnPool, GlobalPools) {
  const Tensor x = iota({1, 2, 2, 2});
  expect_values(run("GlobalAveragePool", {&x})[0], {1, 2, 1, 1}, {1.5f, 5.5f});
  expect_values(run("GlobalMaxPool", {&x})[0], {1, 2, 1, 1}, {3, 7});
}

// ---- Gemm / MatMul ------------------------------------------------------------------------------

TEST(NnGemm, TransposesAlphaBetaBroadcastAndActivation) {
  const Tensor a = f32({3, 2}, {1, 4, 2, 5, 3, 6});  // A^T = [[1,2,3],[4,5,6]]
  const Tensor b = f32({2, 3}, {1, 0, 1, 0, 1, 1});  // B^T = [[1,0],[0,1],[1,1]]
  const Tensor c = f32({2}, {10, -100});
  const auto y = run_fused(
      kRelu, "Gemm", {&a, &b, &c},
      {{"transA", int64_t{1}}, {"transB", int64_t{1}}, {"alpha", 2.f}, {"beta", 0.5f}})[0];
  // A'B' = [[4,5],[10,11]]; *2 + 0.5*[10,-100] = [[13,-40],[25,-28]] -> relu
  expect_values(y, {2, 2}, {13, 0, 25, 0});
  const Tensor bad = f32({3}, {1, 2, 3});
  EXPECT_THROW(run("Gemm", {&a, &b, &bad}, {{"transA", int64_t{1}}, {"transB", int64_t{1}}}),
               Error);
}

TEST(NnMatMul, BroadcastAndVectors) {
  const Tensor a = iota({2, 1, 2, 3});
  const Tensor b = f32({3, 3, 1}, {1, 1, 1, 0, 1, 0, 1, 0, 0});
  const auto y = run("MatMul", {&a, &b})[0];
  ASSERT_EQ(y.dims(), (Dims{2, 3, 2, 1}));
  expect_values(y, {2, 3, 2, 1}, {3, 12, 1, 4, 0, 3, 21, 30, 7, 10, 6, 9});
  const Tensor v = f32({3}, {1, 2, 3});
  expect_values(run("MatMul", {&v, &v})[0], {}, {14});
  const Tensor m = iota({2, 3});
  expect_values(run("MatMul", {&m, &v})[0], {2}, {8, 26});
  const Tensor mt = iota({3, 2});
  expect_values(run("MatMul", {&v, &mt})[0], {2}, {16, 22});
}

// A batch of 0 against a broadcast batch of 1 is an empty product, not one read past an empty
// buffer (the batch count came from max(0, 1); found by the ONNX fuzzer on a batch-0 ConvNeXt).
TEST(NnMatMul, EmptyBatchBroadcastAgainstOne) {
  const Tensor a(DataType::kF32, {0, 2, 3});
  const Tensor b = iota({1, 3, 4});
  const auto y = run("MatMul", {&a, &b})[0];
  EXPECT_EQ(y.dims(), (Dims{0, 2, 4}));
  const Tensor c(DataType::kF32, {2, 0, 3, 4});
  EXPECT_EQ(run("MatMul", {&a, &c})[0].dims(), (Dims{2, 0, 2, 4}));
}

// ---- BatchNormalization / Softmax ---------------------------------------------------------------

TEST(NnNorm, BatchNormalization) {
  const Tensor x = f32({1, 2, 1, 2}, {1, 2, 3, 4});
  const Tensor scale = f32({2}, {2, 1});
  const Tensor bias = f32({2}, {0, 1});
  const Tensor mean = f32({2}, {1, 3});
  const Tensor var = f32({2}, {4, 1});
  expect_values(run("BatchNormalization", {&x, &scale, &bias, &mean, &var}, {{"epsilon", 0.f}})[0],
                {1, 2, 1, 2}, {0, 1, 1, 2});
}

TEST(NnNorm, SoftmaxAxisAndCoerced) {
  const Tensor x = f32({2, 2}, {0, std::log(3.f), 1000, 1000});
  expect_values(run("Softmax", {&x}, {{"axis", int64_t{1}}})[0], {2, 2},
                {0.25f, 0.75f, 0.5f, 0.5f});
  expect_values(run("Softmax", {&x}, {{"axis", int64_t{0}}})[0], {2, 2}, {0, 0, 1, 1});
  // _coerce_2d with axis 0: softmax over all four values.
  const Tensor z = f32({2, 2}, {0, 0, 0, 0});
  expect_values(run("Softmax", {&z}, {{"axis", int64_t{0}}, {"_coerce_2d", int64_t{1}}})[0], {2, 2},
                {0.25f, 0.25f, 0.25f, 0.25f});
}

// ---- Resize / Pad -------------------------------------------------------------------------------

TEST(NnResize, NearestAndLinearHalfPixel) {
  const Tensor x = f32({1, 1, 2, 2}, {1, 2, 3, 4});
  const Tensor scales = f32({4}, {1, 1, 2, 2});
  expect_values(run("Resize", {&x, nullptr, &scales}, {{"mode", std::string("nearest")}})[0],
                {1, 1, 4, 4}, {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4});
  expect_values(
      run("Resize", {&x, nullptr, &scales}, {{"mode", std::string("linear")}})[0], {1, 1, 4, 4},
      {1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f, 2.75f, 3.25f, 3.5f, 3, 3.25f, 3.75f, 4});
  const Tensor sizes = s64({4}, {1, 1, 1, 3});
  const Tensor empty(DataType::kF32, {0});
  expect_values(run("Resize", {&x, &empty, &empty, &sizes},
                    {{"mode", std::string("linear")},
                     {"coordinate_transformation_mode", std::string("align_corners")}})[0],
                {1, 1, 1, 3}, {1, 1.5f, 2});
  try {
    run("Resize", {&x, nullptr, &scales}, {{"mode", std::string("cubic")}});
    FAIL() << "expected kUnsupported";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("test_Resize"), std::string::npos);
  }
}

TEST(NnResize, NeedsConstantScales) {
  const Tensor x = f32({1, 1, 2, 2}, {1, 2, 3, 4});
  const Tensor scales = f32({4}, {1, 1, 2, 2});
  auto n = make_node("Resize", {&x, nullptr, &scales}, {});
  auto in = infos({&x, nullptr, &scales});
  in[2].value = nullptr;
  try {
    infer_node(*n->node, in);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
  }
}

TEST(NnPad, Modes) {
  const Tensor x = f32({1, 3}, {1, 2, 3});
  const Tensor pads = s64({4}, {0, 2, 0, 1});
  const Tensor value = f32({}, {9});
  expect_values(run("Pad", {&x, &pads, &value})[0], {1, 6}, {9, 9, 1, 2, 3, 9});
  expect_values(run("Pad", {&x, &pads}, {{"mode", std::string("reflect")}})[0], {1, 6},
                {3, 2, 1, 2, 3, 2});
  expect_values(run("Pad", {&x, &pads}, {{"mode", std::string("edge")}})[0], {1, 6},
                {1, 1, 1, 2, 3, 3});
  expect_values(run("Pad", {&x, &pads}, {{"mode", std::string("wrap")}})[0], {1, 6},
                {2, 3, 1, 2, 3, 1});
  const Tensor crop = s64({2}, {-1, 1});
  const Tensor axes = s64({1}, {1});
  expect_values(run("Pad", {&x, &crop, nullptr, &axes})[0], {1, 3}, {2, 3, 0});
  const Tensor bad = s64({3}, {1, 1, 1});
  EXPECT_THROW(run("Pad", {&x, &bad}), Error);
}

// ---- ONNX node tests ----------------------------------------------------------------------------

class OnnxNodeTest : public ::testing::TestWithParam<const char*> {};

TEST_P(OnnxNodeTest, MatchesExpectedOutputs) {
  const std::string dir = std::string(LOWP_ONNX_NODE_TESTS) + "/" + GetParam();
  ASSERT_TRUE(testing::file_exists(dir + "/model.onnx")) << "no " << dir;
  const std::shared_ptr<Graph> graph = onnx_frontend::import_file(dir + "/model.onnx");
  ASSERT_EQ(graph->nodes().size(), 1u);
  const Node& node = *graph->nodes()[0];
  std::vector<Tensor> graph_inputs;
  for (size_t i = 0; i < graph->inputs.size(); ++i) {
    graph_inputs.push_back(onnx_frontend::read_tensor_file(dir + "/test_data_set_0/input_" +
                                                           std::to_string(i) + ".pb"));
  }
  std::vector<const Tensor*> inputs;
  for (const Value* v : node.inputs) {
    const Tensor* t = nullptr;
    if (v && v->constant) t = v->constant.get();
    for (size_t i = 0; v && i < graph->inputs.size(); ++i) {
      if (graph->inputs[i] == v) t = &graph_inputs[i];
    }
    inputs.push_back(t);
  }
  const std::vector<Tensor> outs = run_node(node, inputs);
  for (size_t i = 0; i < graph->outputs.size(); ++i) {
    const Tensor want = onnx_frontend::read_tensor_file(dir + "/test_data_set_0/output_" +
                                                        std::to_string(i) + ".pb");
    std::string report;
    EXPECT_TRUE(testing::all_close(outs[i], want, 1e-4f, 1e-4f, &report))
        << "output " << i << ": " << report;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Nn, OnnxNodeTest,
    ::testing::Values(
        "test_averagepool_1d_default", "test_averagepool_2d_ceil", "test_averagepool_2d_default",
        "test_averagepool_2d_pads", "test_averagepool_2d_pads_count_include_pad",
        "test_averagepool_2d_precomputed_pads",
        "test_averagepool_2d_precomputed_pads_count_include_pad",
        "test_averagepool_2d_precomputed_same_upper", "test_averagepool_2d_precomputed_strides",
        "test_averagepool_2d_same_lower", "test_averagepool_2d_same_upper",
        "test_averagepool_2d_strides", "test_averagepool_3d_default",
        "test_basic_conv_with_padding", "test_basic_conv_without_padding", "test_batchnorm_epsilon",
        "test_batchnorm_example", "test_conv_with_autopad_same",
        "test_conv_with_strides_and_asymmetric_padding", "test_conv_with_strides_no_padding",
        "test_conv_with_strides_padding", "test_convtranspose", "test_convtranspose_1d",
        "test_convtranspose_3d", "test_convtranspose_autopad_same", "test_convtranspose_dilations",
        "test_convtranspose_kernel_shape", "test_convtranspose_output_shape",
        "test_convtranspose_pad", "test_convtranspose_pads", "test_convtranspose_with_kernel",
        "test_constant_pad", "test_edge_pad", "test_reflect_pad", "test_gemm_all_attributes",
        "test_gemm_alpha", "test_gemm_beta", "test_gemm_default_matrix_bias",
        "test_gemm_default_no_bias", "test_gemm_default_scalar_bias",
        "test_gemm_default_single_elem_vector_bias", "test_gemm_default_vector_bias",
        "test_gemm_default_zero_bias", "test_gemm_transposeA", "test_gemm_transposeB",
        "test_globalaveragepool", "test_globalaveragepool_precomputed", "test_globalmaxpool",
        "test_globalmaxpool_precomputed", "test_matmul_2d", "test_matmul_3d", "test_matmul_4d",
        "test_maxpool_1d_default", "test_maxpool_2d_ceil", "test_maxpool_2d_default",
        "test_maxpool_2d_dilations", "test_maxpool_2d_pads", "test_maxpool_2d_precomputed_pads",
        "test_maxpool_2d_precomputed_same_upper", "test_maxpool_2d_precomputed_strides",
        "test_maxpool_2d_same_lower", "test_maxpool_2d_same_upper", "test_maxpool_2d_strides",
        "test_maxpool_2d_uint8", "test_maxpool_3d_default",
        "test_maxpool_with_argmax_2d_precomputed_pads",
        "test_maxpool_with_argmax_2d_precomputed_strides", "test_resize_downsample_scales_linear",
        "test_resize_downsample_scales_linear_align_corners",
        "test_resize_downsample_scales_nearest",
        "test_resize_downsample_sizes_linear_pytorch_half_pixel",
        "test_resize_downsample_sizes_nearest",
        "test_resize_downsample_sizes_nearest_tf_half_pixel_for_nn",
        "test_resize_tf_crop_and_resize", "test_resize_upsample_scales_linear",
        "test_resize_upsample_scales_linear_align_corners", "test_resize_upsample_scales_nearest",
        "test_resize_upsample_sizes_nearest", "test_resize_upsample_sizes_nearest_ceil_half_pixel",
        "test_resize_upsample_sizes_nearest_floor_align_corners",
        "test_resize_upsample_sizes_nearest_round_prefer_ceil_asymmetric", "test_softmax_axis_0",
        "test_softmax_axis_1", "test_softmax_axis_2", "test_softmax_default_axis",
        "test_softmax_example", "test_softmax_large_number", "test_softmax_negative_axis"),
    [](const ::testing::TestParamInfo<const char*>& info) { return std::string(info.param); });

}  // namespace
}  // namespace lowp

// Int8 execution on the oneDNN CPU backend: small quantized graphs (made by Int8QuantizationPass
// from fp32 graphs with ranges measured on their own inputs) against the reference executor on the
// same quantized graph (within one output quantization step), describe() lines, ResNet-18
// Fashion int8 (accuracy and top-1 agreement with the reference int8 and with fp32 on 200 test
// images; all 10,000 in a disabled test), and the ImageNet ResNet-18 graph's int8 vs fp32 speed at
// batch 1 and 16 (LOWP_BENCH_ITERS sets the iterations; measure on an idle machine).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <random>

#include "engine/pass_pipeline.h"
#include "frontends/onnx/onnx_importer.h"
#include "lowp/backend.h"
#include "lowp/shape_propagation.h"
#include "passes/int8_quantization.h"
#include "reference/reference_executor.h"
#include "tests/test_util.h"
#include "tools/io/idx.h"
#include "tools/io/image_preprocess.h"

using namespace lowp;
using namespace lowp::testing;

namespace {

using Ranges = std::map<std::string, TensorRange>;

// min / max of every f32 value (graph inputs included) over `batches`.
Ranges measure_ranges(const Graph& g, const std::vector<std::vector<Tensor>>& batches) {
  std::map<std::string, std::pair<float, float>> minmax;
  for (const auto& inputs : batches) {
    auto values = reference::run_graph_all_values(g, inputs);
    for (size_t i = 0; i < g.inputs.size(); ++i) values[g.inputs[i]->name] = inputs[i];
    for (const auto& [name, t] : values) {
      if (t.dtype() != DataType::kF32 || t.numel() == 0) continue;
      const auto [lo, hi] = std::minmax_element(t.data<float>(), t.data<float>() + t.numel());
      auto [it, fresh] = minmax.try_emplace(name, *lo, *hi);
      if (!fresh) it->second = {std::min(it->second.first, *lo), std::max(it->second.second, *hi)};
    }
  }
  Ranges out;
  for (const auto& [name, r] : minmax) out[name] = make_tensor_range(r.first, r.second, false);
  return out;
}

std::shared_ptr<Graph> quantize(std::unique_ptr<Graph> g, const std::vector<Tensor>& inputs,
                                bool symmetric = false) {
  PassContext ctx;
  EXPECT_TRUE(Int8QuantizationPass(measure_ranges(*g, {inputs}), {}, symmetric).run(*g, ctx));
  propagate_shapes(*g);
  return std::shared_ptr<Graph>(std::move(g));
}

// Moves each f32 graph input onto the grid of the QuantizeLinear that reads it, so that the
// backend's x * (1 / scale) and the reference's x / scale round the same way.
std::vector<Tensor> snap_to_grid(const Graph& g, std::vector<Tensor> inputs) {
  for (size_t i = 0; i < g.inputs.size(); ++i) {
    for (const Node* c : g.inputs[i]->consumers) {
      if (c->op_type != "QuantizeLinear" || !c->outputs[0]->quant) continue;
      const QuantParams& q = *c->outputs[0]->quant;
      float* p = inputs[i].data<float>();
      for (int64_t e = 0; e < inputs[i].numel(); ++e) {
        p[e] = std::nearbyint(p[e] / q.scales[0]) * q.scales[0];
      }
    }
  }
  return inputs;
}

std::vector<Tensor> run_cpu(const CompiledModel& model, const std::vector<Tensor>& inputs,
                            const std::vector<Tensor>& like) {
  auto context = model.create_context();
  std::vector<Tensor> outs;
  for (const Tensor& t : like) outs.emplace_back(t.dtype(), t.dims());
  std::vector<const Tensor*> in;
  for (const Tensor& t : inputs) in.push_back(&t);
  std::vector<Tensor*> out;
  for (Tensor& t : outs) out.push_back(&t);
  model.run(*context, in, out);
  return outs;
}

// The quantization step of a graph output: the scale of the int8 value its DequantizeLinear reads
// (0 for f32 outputs computed directly, e.g. Gemm logits).
float output_step(const Value* v) {
  if (v->producer && v->producer->op_type == "DequantizeLinear" && v->producer->inputs[0]->quant) {
    return v->producer->inputs[0]->quant->scales[0];
  }
  return 0.f;
}

bool mentions(const std::vector<std::string>& lines, const std::string& text) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& l) { return l.find(text) != std::string::npos; });
}

std::string joined(const std::vector<std::string>& lines) {
  std::string s;
  for (const std::string& l : lines) s += "  " + l + "\n";
  return s;
}

// Runs the quantized graph on the backend and the reference; every output within one step (plus
// `extra_steps`; f32 outputs within 1e-4 relative of their largest magnitude). Returns describe().
std::vector<std::string> check_int8(const std::shared_ptr<Graph>& g, std::vector<Tensor> inputs,
                                    float extra_steps = 0.f) {
  inputs = snap_to_grid(*g, std::move(inputs));
  const std::vector<Tensor> want = reference::run_graph(*g, inputs);
  auto model = compile_for_cpu(g, CompileOptions{});
  for (int rep = 0; rep < 2; ++rep) {
    const std::vector<Tensor> got = run_cpu(*model, inputs, want);
    for (size_t i = 0; i < want.size(); ++i) {
      const float step = output_step(g->outputs[i]);
      float tolerance = step * (1.f + extra_steps) * 1.001f + 1e-6f;
      if (step == 0.f) {
        float amax = 0.f;
        for (float v : want[i].to_float()) amax = std::max(amax, std::fabs(v));
        tolerance = 1e-4f * amax + 1e-6f;
      }
      const float diff = max_abs_diff(got[i], want[i]);
      if (rep == 0) {
        float amax = 0.f;
        for (float v : want[i].to_float()) amax = std::max(amax, std::fabs(v));
        std::cout << "  output " << g->outputs[i]->name << ": max |cpu - reference| " << diff
                  << ", step " << step << ", max |value| " << amax << "\n";
      }
      EXPECT_LE(diff, tolerance) << "output " << g->outputs[i]->name << " (step " << step << ")\n"
                                 << joined(model->describe());
    }
  }
  return model->describe();
}

Value* constant(Graph& g, const std::string& name, const Dims& dims, uint32_t seed,
                float lo = -0.5f, float hi = 0.5f) {
  return g.add_constant(name, random_tensor(dims, seed, lo, hi));
}

// x -> Conv(k x k, stride, pad, group) [+ residual input r] [activation] -> y
std::unique_ptr<Graph> conv_net(const Dims& x_dims, int64_t out_c, int64_t k, int64_t stride,
                                int64_t pad, int64_t group, bool residual,
                                const std::string& activation) {
  auto g = std::make_unique<Graph>();
  Value* x = g->add_value("x", DataType::kF32, Shape::from_dims(x_dims));
  g->inputs.push_back(x);
  const int64_t out_hw = (x_dims[2] + 2 * pad - k) / stride + 1;
  std::vector<Value*> ins = {x, constant(*g, "w", {out_c, x_dims[1] / group, k, k}, 1),
                             constant(*g, "b", {out_c}, 2)};
  if (residual) {
    Value* r =
        g->add_value("r", DataType::kF32, Shape::from_dims({x_dims[0], out_c, out_hw, out_hw}));
    g->inputs.push_back(r);
    ins.push_back(r);
  }
  Value* y = g->add_value("y");
  Node* conv = g->add_node("Conv", "conv", ins, {y});
  conv->attributes["pads"] = std::vector<int64_t>{pad, pad, pad, pad};
  conv->attributes["strides"] = std::vector<int64_t>{stride, stride};
  conv->attributes["group"] = group;
  if (activation == "Relu") conv->activation = FusedActivation::of(ActivationKind::kRelu);
  if (activation == "Clip") conv->activation = FusedActivation::clip(0.f, 0.5f);
  g->outputs = {y};
  propagate_shapes(*g);
  return g;
}

}  // namespace

TEST(CpuInt8, ConvReluWithPaddingAndAsymmetricInput) {
  // x in [-1, 1]: u8 with zero point ~128, so padding must read as the zero point.
  auto g = quantize(conv_net({2, 3, 9, 9}, 8, 3, 1, 1, 1, false, "Relu"),
                    {random_tensor({2, 3, 9, 9}, 7)});
  const auto lines = check_int8(g, {random_tensor({2, 3, 9, 9}, 7)});
  EXPECT_TRUE(mentions(lines, "onednn convolution int8 u8xs8->u8")) << joined(lines);
  EXPECT_TRUE(mentions(lines, "+relu")) << joined(lines);
  EXPECT_TRUE(mentions(lines, "onednn reorder quantize")) << joined(lines);
  EXPECT_TRUE(mentions(lines, "onednn reorder dequantize")) << joined(lines);
  EXPECT_FALSE(mentions(lines, "fallback")) << joined(lines);
}

// conv1 (int8) -> conv2 (kept fp32) -> conv3 (int8): the DequantizeLinear before conv2 writes f32
// in the int8 convolution's nhwc, which conv2 reads as is (it was a reorder to plain and another
// back); the graph output's DequantizeLinear writes plain.
TEST(CpuInt8, DequantizeBeforeAKeptLayerKeepsTheLayout) {
  auto g = std::make_unique<Graph>();
  Value* x = g->add_value("x", DataType::kF32, Shape::from_dims({2, 8, 9, 9}));
  g->inputs.push_back(x);
  Value* v = x;
  for (int i = 1; i <= 3; ++i) {
    const std::string n = std::to_string(i);
    Value* y = g->add_value("y" + n);
    Node* conv = g->add_node(
        "Conv", "conv" + n,
        {v, constant(*g, "w" + n, {8, 8, 3, 3}, 10 + i), constant(*g, "b" + n, {8}, 20 + i)}, {y});
    conv->attributes["pads"] = std::vector<int64_t>{1, 1, 1, 1};
    if (i < 3) conv->activation = FusedActivation::of(ActivationKind::kRelu);
    v = y;
  }
  g->outputs = {v};
  propagate_shapes(*g);
  const Tensor input = random_tensor({2, 8, 9, 9}, 30);
  PassContext ctx;
  ASSERT_TRUE(Int8QuantizationPass(measure_ranges(*g, {{input}}), {"conv2"}, false).run(*g, ctx));
  propagate_shapes(*g);
  const auto lines = check_int8(std::shared_ptr<Graph>(std::move(g)), {input}, 1.f);
  EXPECT_TRUE(mentions(lines, "onednn reorder dequantize u8 nhwc -> f32 nhwc")) << joined(lines);
  EXPECT_TRUE(mentions(lines, "dequantize u8 nhwc -> f32 nchw")) << joined(lines);  // the output
  EXPECT_FALSE(mentions(lines, "fallback")) << joined(lines);
}

TEST(CpuInt8, ConvWithoutActivationHasOutputZeroPoint) {
  auto g = quantize(conv_net({1, 16, 10, 10}, 24, 3, 2, 1, 1, false, ""),
                    {random_tensor({1, 16, 10, 10}, 8)});
  ASSERT_NE(g->outputs[0]->producer->inputs[0]->quant->zero_points[0], 0);
  const auto lines = check_int8(g, {random_tensor({1, 16, 10, 10}, 8)});
  EXPECT_FALSE(mentions(lines, "fallback")) << joined(lines);
}

TEST(CpuInt8, ConvClipAndOneByOne) {
  auto g = quantize(conv_net({2, 32, 7, 7}, 16, 1, 1, 0, 1, false, "Clip"),
                    {random_tensor({2, 32, 7, 7}, 9, 0.f, 2.f)});
  const auto lines = check_int8(g, {random_tensor({2, 32, 7, 7}, 9, 0.f, 2.f)});
  EXPECT_TRUE(mentions(lines, "+clip")) << joined(lines);
  EXPECT_FALSE(mentions(lines, "fallback")) << joined(lines);
}

TEST(CpuInt8, DepthwiseConv) {
  auto g = quantize(conv_net({1, 16, 8, 8}, 16, 3, 1, 1, 16, false, "Relu"),
                    {random_tensor({1, 16, 8, 8}, 10)});
  const auto lines = check_int8(g, {random_tensor({1, 16, 8, 8}, 10)});
  EXPECT_FALSE(mentions(lines, "fallback")) << joined(lines);
}

TEST(CpuInt8, ConvResidualSumWithZeroPoint) {
  // The residual r spans both signs (u8 with a zero point); Relu after the sum.
  const std::vector<Tensor> inputs = {random_tensor({2, 8, 6, 6}, 11),
                                      random_tensor({2, 16, 6, 6}, 12, -2.f, 1.f)};
  auto g = quantize(conv_net({2, 8, 6, 6}, 16, 3, 1, 1, 1, true, "Relu"), inputs);
  const Node* conv = nullptr;
  for (const auto& n : g->nodes()) conv = n->op_type == "Conv" ? n.get() : conv;
  ASSERT_TRUE(conv && conv->input(3) && conv->input(3)->quant);
  EXPECT_NE(conv->input(3)->quant->zero_points[0], 0);
  const auto lines = check_int8(g, inputs);
  EXPECT_TRUE(mentions(lines, "+sum")) << joined(lines);
  EXPECT_FALSE(mentions(lines, "fallback")) << joined(lines);
}

TEST(CpuInt8, ConvResidualWithoutActivation) {
  const std::vector<Tensor> inputs = {random_tensor({1, 8, 5, 5}, 13),
                                      random_tensor({1, 8, 5, 5}, 14, 0.f, 1.f)};
  auto g = quantize(conv_net({1, 8, 5, 5}, 8, 3, 1, 1, 1, true, ""), inputs);
  const auto lines = check_int8(g, inputs);
  EXPECT_TRUE(mentions(lines, "+sum")) << joined(lines);
  EXPECT_FALSE(mentions(lines, "fallback")) << joined(lines);
}

TEST(CpuInt8, Pools) {
  // x -> conv(relu) -> maxpool (pass-through) -> output; x -> averagepool; x -> global pool.
  auto g = std::make_unique<Graph>();
  Value* x = g->add_value("x", DataType::kF32, Shape::from_dims({2, 8, 9, 9}));
  g->inputs.push_back(x);
  Value* c = g->add_value("c");
  Node* conv = g->add_node("Conv", "conv",
                           {x, constant(*g, "w", {8, 8, 3, 3}, 3), constant(*g, "b", {8}, 4)}, {c});
  conv->attributes["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  conv->activation = FusedActivation::of(ActivationKind::kRelu);
  Value* mp = g->add_value("mp");
  Node* pool = g->add_node("MaxPool", "maxpool", {c}, {mp});
  pool->attributes["kernel_shape"] = std::vector<int64_t>{3, 3};
  pool->attributes["strides"] = std::vector<int64_t>{2, 2};
  pool->attributes["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  Value* ap = g->add_value("ap");
  Node* avg = g->add_node("AveragePool", "avgpool", {x}, {ap});
  avg->attributes["kernel_shape"] = std::vector<int64_t>{3, 3};
  avg->attributes["strides"] = std::vector<int64_t>{2, 2};
  avg->attributes["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  Value* gap = g->add_value("gap");
  g->add_node("GlobalAveragePool", "gap", {x}, {gap});
  g->outputs = {mp, ap, gap};
  propagate_shapes(*g);
  const std::vector<Tensor> inputs = {random_tensor({2, 8, 9, 9}, 15)};
  auto q = quantize(std::move(g), inputs);
  const auto lines = check_int8(q, inputs);
  EXPECT_TRUE(mentions(lines, "onednn pooling max int8 u8->u8")) << joined(lines);
  EXPECT_TRUE(mentions(lines, "onednn pooling avg int8 u8->u8")) << joined(lines);
  EXPECT_TRUE(mentions(lines, "onednn global pooling avg int8 u8->u8")) << joined(lines);
  EXPECT_FALSE(mentions(lines, "fallback")) << joined(lines);
}

TEST(CpuInt8, GemmChainWithInt8AndF32Outputs) {
  // x -> fc1 (Relu, u8 out, also a graph output) -> fc2 (f32 logits).
  auto g = std::make_unique<Graph>();
  Value* x = g->add_value("x", DataType::kF32, Shape::from_dims({4, 32}));
  g->inputs.push_back(x);
  Value* h = g->add_value("h");
  Node* fc1 = g->add_node("Gemm", "fc1",
                          {x, constant(*g, "w1", {24, 32}, 5), constant(*g, "b1", {24}, 6)}, {h});
  fc1->attributes["transB"] = int64_t{1};
  fc1->activation = FusedActivation::of(ActivationKind::kRelu);
  Value* logits = g->add_value("logits");
  g->add_node("Gemm", "fc2", {h, constant(*g, "w2", {24, 10}, 7), constant(*g, "b2", {10}, 8)},
              {logits});
  g->outputs = {h, logits};
  propagate_shapes(*g);
  const std::vector<Tensor> inputs = {random_tensor({4, 32}, 16)};
  auto q = quantize(std::move(g), inputs);
  EXPECT_EQ(q->find_value("logits")->producer->op_type, "Gemm");
  // fc1's u8 output may differ by one step, which moves the logits by up to sum|w2| * step.
  const std::vector<Tensor> snapped = snap_to_grid(*q, inputs);
  const std::vector<Tensor> want = reference::run_graph(*q, snapped);
  auto model = compile_for_cpu(q, CompileOptions{});
  const std::vector<Tensor> got = run_cpu(*model, snapped, want);
  const float h_step = output_step(q->outputs[0]);
  EXPECT_LE(max_abs_diff(got[0], want[0]), h_step * 1.001f + 1e-6f);
  EXPECT_LE(max_abs_diff(got[1], want[1]), 24 * 0.5f * h_step + 1e-4f);
  const auto lines = model->describe();
  EXPECT_TRUE(mentions(lines, "onednn inner_product int8 u8xs8->u8 +relu")) << joined(lines);
  EXPECT_TRUE(mentions(lines, "onednn inner_product int8 u8xs8->f32")) << joined(lines);
  EXPECT_FALSE(mentions(lines, "fallback")) << joined(lines);
}

TEST(CpuInt8, GemmF32LogitsFromAsymmetricInput) {
  auto g = std::make_unique<Graph>();
  Value* x = g->add_value("x", DataType::kF32, Shape::from_dims({3, 40}));
  g->inputs.push_back(x);
  Value* y = g->add_value("y");
  Node* fc = g->add_node("Gemm", "fc",
                         {x, constant(*g, "w", {10, 40}, 17), constant(*g, "b", {10}, 18)}, {y});
  fc->attributes["transB"] = int64_t{1};
  g->outputs = {y};
  propagate_shapes(*g);
  const std::vector<Tensor> inputs = {random_tensor({3, 40}, 19, -1.f, 3.f)};
  auto q = quantize(std::move(g), inputs);
  const auto lines = check_int8(q, inputs);
  EXPECT_FALSE(mentions(lines, "fallback")) << joined(lines);
}

TEST(CpuInt8, AddRequantizes) {
  auto g = std::make_unique<Graph>();
  Value* a = g->add_value("a", DataType::kF32, Shape::from_dims({2, 8, 5, 5}));
  Value* c = g->add_value("c", DataType::kF32, Shape::from_dims({2, 8, 5, 5}));
  g->inputs = {a, c};
  Value* y = g->add_value("y");
  g->add_node("Add", "add", {a, c}, {y});
  g->outputs = {y};
  propagate_shapes(*g);
  const std::vector<Tensor> inputs = {random_tensor({2, 8, 5, 5}, 20),
                                      random_tensor({2, 8, 5, 5}, 21, -3.f, 0.5f)};
  auto q = quantize(std::move(g), inputs);
  const auto lines = check_int8(q, inputs);
  EXPECT_TRUE(mentions(lines, "onednn binary add int8")) << joined(lines);
  EXPECT_FALSE(mentions(lines, "fallback")) << joined(lines);
}

TEST(CpuInt8, SymmetricS8Activations) {
  const std::vector<Tensor> inputs = {random_tensor({1, 8, 6, 6}, 22),
                                      random_tensor({1, 8, 6, 6}, 23)};
  auto g = quantize(conv_net({1, 8, 6, 6}, 8, 3, 1, 1, 1, true, ""), inputs, true);
  const auto lines = check_int8(g, inputs);
  EXPECT_TRUE(mentions(lines, "onednn convolution int8 s8xs8->s8")) << joined(lines);
  EXPECT_FALSE(mentions(lines, "fallback")) << joined(lines);
}

TEST(CpuInt8, UnsupportedQuantizedNodeSaysSlowFallback) {
  // conv1 (no activation: u8 with a zero point, nhwc) -> AveragePool counting padding, which
  // has no int8 lowering when the zero point is not 0 -> conv2 (relu). The fallback reads conv1's
  // nhwc output through a reorder and conv2 reads the fallback's plain output.
  auto g = std::make_unique<Graph>();
  Value* x = g->add_value("x", DataType::kF32, Shape::from_dims({1, 8, 6, 6}));
  g->inputs.push_back(x);
  Value* c1 = g->add_value("c1");
  Node* conv1 =
      g->add_node("Conv", "conv1",
                  {x, constant(*g, "w1", {8, 8, 3, 3}, 26), constant(*g, "b1", {8}, 27)}, {c1});
  conv1->attributes["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  Value* ap = g->add_value("ap");
  Node* avg = g->add_node("AveragePool", "avgpool", {c1}, {ap});
  avg->attributes["kernel_shape"] = std::vector<int64_t>{3, 3};
  avg->attributes["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  avg->attributes["count_include_pad"] = int64_t{1};
  Value* y = g->add_value("y");
  Node* conv2 =
      g->add_node("Conv", "conv2",
                  {ap, constant(*g, "w2", {8, 8, 3, 3}, 28), constant(*g, "b2", {8}, 29)}, {y});
  conv2->attributes["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  conv2->activation = FusedActivation::of(ActivationKind::kRelu);
  g->outputs = {y};
  propagate_shapes(*g);
  const std::vector<Tensor> inputs = {random_tensor({1, 8, 6, 6}, 30)};
  auto q = quantize(std::move(g), inputs);
  const auto lines = check_int8(q, inputs, 1.f);
  EXPECT_TRUE(mentions(lines, "avgpool AveragePool -> fallback reference (slow)")) << joined(lines);
  EXPECT_EQ(std::count_if(lines.begin(), lines.end(),
                          [](const std::string& l) { return l.find("fallback") != l.npos; }),
            1)
      << joined(lines);
}

// ---- ResNet-18 ------------------------------------------------------------------------------

namespace {

std::shared_ptr<Graph> optimised(const std::string& path) {
  auto graph = onnx_frontend::import_file(path);
  PassContext ctx;
  run_pipeline(*graph, CompileOptions{}, ctx);
  return graph;
}

std::shared_ptr<Graph> quantized_copy(const Graph& graph, const Ranges& ranges) {
  auto int8 = graph.clone();
  PassContext ctx;
  EXPECT_TRUE(Int8QuantizationPass(ranges).run(*int8, ctx));
  propagate_shapes(*int8);
  return std::shared_ptr<Graph>(std::move(int8));
}

int count_lines(const std::vector<std::string>& lines, const std::string& text) {
  return static_cast<int>(std::count_if(lines.begin(), lines.end(), [&](const std::string& l) {
    return l.find(text) != std::string::npos;
  }));
}

}  // namespace

TEST(CpuInt8ResNet, FashionAccuracyAndAgreement) {
  const std::string dir = fashion_dir();
  std::shared_ptr<Graph> graph =
      optimised(std::string(LOWP_SOURCE_DIR) + "/models/resnet18_fashion.onnx");
  const io::IdxImages train = io::read_idx_images(dir + "/train-images-idx3-ubyte.gz");
  std::vector<std::vector<Tensor>> calibration;
  for (int64_t b = 0; b < 64; b += 16) calibration.push_back({fashion_batch(train, b, 16)});
  auto int8 = quantized_copy(*graph, measure_ranges(*graph, calibration));

  auto fp32_model = compile_for_cpu(graph, CompileOptions{});
  auto int8_model = compile_for_cpu(int8, CompileOptions{});
  const auto lines = int8_model->describe();
  std::cout << "ResNet-18 Fashion int8 plan:\n" << joined(lines);
  EXPECT_EQ(count_lines(lines, "fallback"), 0) << joined(lines);
  EXPECT_EQ(count_lines(lines, "onednn convolution int8"), 20) << joined(lines);

  const io::IdxImages test = io::read_idx_images(dir + "/t10k-images-idx3-ubyte.gz");
  const std::vector<uint8_t> labels = io::read_idx_labels(dir + "/t10k-labels-idx1-ubyte.gz");
  const int64_t count = 200;
  int64_t fp32_correct = 0, int8_correct = 0, ref_correct = 0, agree_fp32 = 0, agree_ref = 0;
  float max_logit_diff = 0.f;
  for (int64_t b = 0; b < count; b += 50) {
    const Tensor x = fashion_batch(test, b, 50);
    const Tensor like(DataType::kF32, {50, 10});
    const auto f = top1(run_cpu(*fp32_model, {x}, {like})[0]);
    const Tensor cpu_logits = run_cpu(*int8_model, {x}, {like})[0];
    const Tensor ref_logits = reference::run_graph(*int8, {x})[0];
    max_logit_diff = std::max(max_logit_diff, max_abs_diff(cpu_logits, ref_logits));
    const auto i8 = top1(cpu_logits);
    const auto r8 = top1(ref_logits);
    for (size_t i = 0; i < f.size(); ++i) {
      const int64_t label = labels[static_cast<size_t>(b) + i];
      fp32_correct += f[i] == label;
      int8_correct += i8[i] == label;
      ref_correct += r8[i] == label;
      agree_fp32 += f[i] == i8[i];
      agree_ref += r8[i] == i8[i];
    }
  }
  std::cout << "ResNet-18 Fashion, first " << count << " test images: correct fp32 (cpu) "
            << fp32_correct << ", int8 (cpu) " << int8_correct << ", int8 (reference) "
            << ref_correct << "; top-1 agreement int8 cpu vs reference int8 " << agree_ref
            << ", vs fp32 " << agree_fp32 << "; max |logit cpu - reference int8| " << max_logit_diff
            << "\n";
  EXPECT_GE(agree_ref, count * 99 / 100);
  EXPECT_GE(agree_fp32, count * 97 / 100);
  EXPECT_GE(int8_correct, fp32_correct - count / 100);
}

TEST(CpuInt8ResNet, ImagenetInt8VsFp32Speed) {
  const std::string path = test_model("resnet18_imagenet_arch.onnx");
  std::shared_ptr<Graph> graph = optimised(path);
  // Calibration for speed only: two random-normal images.
  Tensor calib(DataType::kF32, {2, 3, 224, 224});
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.f, 1.f);
  for (int64_t i = 0; i < calib.numel(); ++i) calib.data<float>()[i] = normal(rng);
  auto int8 = quantized_copy(*graph, measure_ranges(*graph, {{calib}}));
  CompileOptions options;
  options.threads = 2;
  auto fp32_model = compile_for_cpu(graph, options);
  auto int8_model = compile_for_cpu(int8, options);
  const auto lines = int8_model->describe();
  std::cout << "ResNet-18 ImageNet int8 plan:\n" << joined(lines);
  EXPECT_EQ(count_lines(lines, "fallback"), 0) << joined(lines);

  const char* env = std::getenv("LOWP_BENCH_ITERS");
  const int iters = env ? std::max(1, std::atoi(env)) : 10;
  auto time_ms = [&](const CompiledModel& model, int64_t batch, int n) {
    Tensor x(DataType::kF32, {batch, 3, 224, 224});
    for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = normal(rng);
    Tensor y(DataType::kF32, {batch, 1000});
    auto context = model.create_context();
    for (int w = 0; w < 2; ++w) model.run(*context, {&x}, {&y});
    std::vector<double> ms;
    for (int i = 0; i < n; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      model.run(*context, {&x}, {&y});
      ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];  // median
  };
  auto load = [] {
    std::ifstream f("/proc/loadavg");
    std::string one;
    f >> one;
    return one;
  };
  for (int64_t batch : {1, 16}) {
    const int n = batch == 1 ? iters * 5 : iters;
    std::cout << "(1-minute load average before batch " << batch << ": " << load() << ")\n";
    const double f = time_ms(*fp32_model, batch, n);
    const double q = time_ms(*int8_model, batch, n);
    std::cout << "ResNet-18 ImageNet batch " << batch << " (2 threads, median of " << n
              << "): fp32 " << f << " ms, int8 " << q << " ms, speed-up " << f / q << "x\n";
  }
  {
    // One image: the backend's int8 logits against the reference executor's on the same graph.
    Tensor x(DataType::kF32, {1, 3, 224, 224});
    for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = normal(rng);
    const Tensor want = reference::run_graph(*int8, {x})[0];
    const Tensor got = run_cpu(*int8_model, {x}, {want})[0];
    const Tensor fp32 = run_cpu(*fp32_model, {x}, {want})[0];
    float amax = 0.f;
    for (float v : want.to_float()) amax = std::max(amax, std::fabs(v));
    std::cout << "ResNet-18 ImageNet int8, one random image: max |logit cpu - reference int8| "
              << max_abs_diff(got, want) << ", max |logit cpu int8 - cpu fp32| "
              << max_abs_diff(got, fp32) << " (max |logit| " << amax << "); top-1 cpu int8 "
              << top1(got)[0] << ", reference int8 " << top1(want)[0] << ", fp32 " << top1(fp32)[0]
              << "\n";
    EXPECT_LE(max_abs_diff(got, want), 0.05f * amax);
  }
}

// All 10,000 Fashion-MNIST test images on the backend, fp32 and int8 (64 calibration images,
// min / max). Disabled by default (~30 s); run with --gtest_also_run_disabled_tests.
TEST(CpuInt8ResNet, DISABLED_FashionFullTestSet) {
  const std::string dir = fashion_dir();
  std::shared_ptr<Graph> graph =
      optimised(std::string(LOWP_SOURCE_DIR) + "/models/resnet18_fashion.onnx");
  const io::IdxImages train = io::read_idx_images(dir + "/train-images-idx3-ubyte.gz");
  std::vector<std::vector<Tensor>> calibration;
  for (int64_t b = 0; b < 64; b += 16) calibration.push_back({fashion_batch(train, b, 16)});
  auto int8 = quantized_copy(*graph, measure_ranges(*graph, calibration));
  auto fp32_model = compile_for_cpu(graph, CompileOptions{});
  auto int8_model = compile_for_cpu(int8, CompileOptions{});
  const io::IdxImages test = io::read_idx_images(dir + "/t10k-images-idx3-ubyte.gz");
  const std::vector<uint8_t> labels = io::read_idx_labels(dir + "/t10k-labels-idx1-ubyte.gz");
  const int64_t count = static_cast<int64_t>(labels.size());
  const int64_t batch = 100;
  int64_t fp32_correct = 0, int8_correct = 0, agree = 0;
  for (int64_t b = 0; b + batch <= count; b += batch) {
    const Tensor x = fashion_batch(test, b, batch);
    const Tensor like(DataType::kF32, {batch, 10});
    const auto f = top1(run_cpu(*fp32_model, {x}, {like})[0]);
    const auto i8 = top1(run_cpu(*int8_model, {x}, {like})[0]);
    for (size_t i = 0; i < f.size(); ++i) {
      const int64_t label = labels[static_cast<size_t>(b) + i];
      fp32_correct += f[i] == label;
      int8_correct += i8[i] == label;
      agree += f[i] == i8[i];
    }
  }
  std::cout << "ResNet-18 Fashion, all " << count << " test images on the CPU backend: fp32 "
            << fp32_correct << " correct, int8 " << int8_correct << " correct, top-1 agreement "
            << agree << "\n";
  EXPECT_GE(int8_correct, fp32_correct - count / 200);
}

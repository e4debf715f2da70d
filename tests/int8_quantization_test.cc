// Int8QuantizationPass: a small conv / residual / pool / gemm graph with ranges measured on its
// own input, before and after the pass through the reference executor (quantization error only),
// the Q/DQ nodes it adds (none between consecutive int8 ops) and keep_fp32 by name and op type.
#include "passes/int8_quantization.h"

#include <gtest/gtest.h>

#include <cmath>

#include "lowp/shape_propagation.h"
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

const Node* find_node(const Graph& g, const std::string& name) {
  for (const auto& n : g.nodes()) {
    if (n->name == name) return n.get();
  }
  return nullptr;
}

// x -> conv1(relu) -> conv2(+conv1 residual, relu) -> maxpool -> gap -> flatten -> gemm -> softmax;
// outputs: logits (gemm) and prob (softmax). The shape after the optimisation pipeline.
std::unique_ptr<Graph> small_net() {
  auto g = std::make_unique<Graph>();
  Value* x = g->add_value("x", DataType::kF32, Shape::from_dims({2, 3, 8, 8}));
  g->inputs.push_back(x);
  auto constant = [&](const std::string& name, const Dims& dims, uint32_t seed) {
    return g->add_constant(name, random_tensor(dims, seed, -0.5f, 0.5f));
  };
  Value* c1 = g->add_value("c1");
  Node* conv1 = g->add_node("Conv", "conv1",
                            {x, constant("w1", {8, 3, 3, 3}, 1), constant("b1", {8}, 2)}, {c1});
  conv1->attributes["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  conv1->activation = FusedActivation::of(ActivationKind::kRelu);
  Value* c2 = g->add_value("c2");
  Node* conv2 = g->add_node(
      "Conv", "conv2", {c1, constant("w2", {8, 8, 3, 3}, 3), constant("b2", {8}, 4), c1}, {c2});
  conv2->attributes["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  conv2->activation = FusedActivation::of(ActivationKind::kRelu);
  Value* mp = g->add_value("mp");
  Node* pool = g->add_node("MaxPool", "maxpool", {c2}, {mp});
  pool->attributes["kernel_shape"] = std::vector<int64_t>{2, 2};
  pool->attributes["strides"] = std::vector<int64_t>{2, 2};
  Value* gap = g->add_value("gap");
  g->add_node("GlobalAveragePool", "gap", {mp}, {gap});
  Value* flat = g->add_value("flat");
  g->add_node("Flatten", "flatten", {gap}, {flat});
  Value* logits = g->add_value("logits");
  g->add_node("Gemm", "fc", {flat, constant("wfc", {10, 8}, 5), constant("bfc", {10}, 6)}, {logits})
      ->attributes["transB"] = int64_t{1};
  Value* prob = g->add_value("prob");
  g->add_node("Softmax", "softmax", {logits}, {prob})->attributes["axis"] = int64_t{1};
  g->outputs = {logits, prob};
  propagate_shapes(*g);
  return g;
}

std::map<std::string, TensorRange> measure_ranges(const Graph& g, const Tensor& x) {
  std::map<std::string, TensorRange> out;
  auto values = reference::run_graph_all_values(g, {x});
  values[g.inputs[0]->name] = x;
  for (const auto& [name, t] : values) {
    if (t.dtype() != DataType::kF32) continue;
    const float* p = t.data<float>();
    const auto [lo, hi] = std::minmax_element(p, p + t.numel());
    out[name] = make_tensor_range(*lo, *hi, false);
  }
  return out;
}

// Signal-to-quantization-noise ratio of `test` against `ref`, in dB.
double sqnr_db(const Tensor& ref, const Tensor& test) {
  double signal = 0.0;
  double noise = 0.0;
  for (int64_t i = 0; i < ref.numel(); ++i) {
    const double r = ref.data<float>()[i];
    signal += r * r;
    noise += (r - test.data<float>()[i]) * (r - test.data<float>()[i]);
  }
  return 10.0 * std::log10(signal / std::max(noise, 1e-30));
}

struct Quantized {
  std::unique_ptr<Graph> graph;
  std::vector<Tensor> before;
  std::vector<Tensor> after;
};

Quantized quantize(std::vector<std::string> keep_fp32, bool symmetric = false) {
  Quantized q;
  q.graph = small_net();
  const Tensor x = random_tensor({2, 3, 8, 8}, 42, -1.f, 1.f);
  q.before = reference::run_graph(*q.graph, {x});
  PassContext ctx;
  Int8QuantizationPass pass(measure_ranges(*q.graph, x), std::move(keep_fp32), symmetric);
  EXPECT_TRUE(pass.run(*q.graph, ctx));
  propagate_shapes(*q.graph);
  q.after = reference::run_graph(*q.graph, {x});
  return q;
}

}  // namespace

TEST(Int8Quantization, WholeNetRunsInInt8WithinQuantizationError) {
  Quantized q = quantize({});
  const Graph& g = *q.graph;
  // Only the graph input is quantized; the Gemm writes f32 logits, so nothing is dequantized.
  EXPECT_EQ(count_ops(g, "QuantizeLinear"), 1);
  EXPECT_EQ(count_ops(g, "DequantizeLinear"), 0);
  EXPECT_EQ(find_node(g, "conv1")->outputs[0]->dtype, DataType::kU8);
  EXPECT_EQ(find_node(g, "conv2")->inputs[3], find_node(g, "conv1")->outputs[0]);
  EXPECT_EQ(find_node(g, "conv2")->inputs[1]->dtype, DataType::kS8);
  EXPECT_EQ(find_node(g, "conv2")->inputs[1]->quant->scales.size(), 8u);
  EXPECT_EQ(find_node(g, "conv2")->inputs[2]->dtype, DataType::kS32);
  EXPECT_EQ(find_node(g, "maxpool")->outputs[0]->quant, find_node(g, "conv2")->outputs[0]->quant);
  EXPECT_EQ(find_node(g, "flatten")->outputs[0]->dtype, DataType::kU8);
  EXPECT_EQ(g.find_value("logits")->dtype, DataType::kF32);
  EXPECT_EQ(g.find_value("logits")->producer->op_type, "Gemm");
  const double logits_db = sqnr_db(q.before[0], q.after[0]);
  const double prob_db = sqnr_db(q.before[1], q.after[1]);
  std::cout << "small net int8 SQNR: logits " << logits_db << " dB, softmax " << prob_db << " dB\n";
  EXPECT_GT(logits_db, 30.0);
  EXPECT_GT(prob_db, 30.0);
}

TEST(Int8Quantization, SymmetricActivationsUseS8) {
  Quantized q = quantize({}, true);
  EXPECT_EQ(find_node(*q.graph, "conv1")->outputs[0]->dtype, DataType::kS8);
  const double db = sqnr_db(q.before[0], q.after[0]);
  std::cout << "small net int8 (symmetric s8 activations) SQNR: logits " << db << " dB\n";
  EXPECT_GT(db, 25.0);  // Relu outputs use half the s8 range
}

TEST(Int8Quantization, KeepFp32ByNodeName) {
  Quantized q = quantize({"conv2"});
  const Graph& g = *q.graph;
  // conv1's int8 output is dequantized for conv2 (input and residual share one DQ); the maxpool
  // after an fp32 node stays fp32; the global pool re-enters int8 through a QuantizeLinear.
  EXPECT_EQ(count_ops(g, "DequantizeLinear"), 1);
  EXPECT_EQ(count_ops(g, "QuantizeLinear"), 2);
  EXPECT_EQ(find_node(g, "conv2")->inputs[0]->dtype, DataType::kF32);
  EXPECT_EQ(find_node(g, "conv2")->inputs[1]->dtype, DataType::kF32);
  EXPECT_EQ(find_node(g, "maxpool")->outputs[0]->dtype, DataType::kF32);
  EXPECT_EQ(find_node(g, "gap")->outputs[0]->dtype, DataType::kU8);
  EXPECT_GT(sqnr_db(q.before[0], q.after[0]), 30.0);
}

TEST(Int8Quantization, KeepFp32ByOpType) {
  Quantized q = quantize({"Gemm"});
  const Graph& g = *q.graph;
  EXPECT_EQ(count_ops(g, "QuantizeLinear"), 1);
  EXPECT_EQ(count_ops(g, "DequantizeLinear"), 1);  // flatten's u8 output, for the fp32 Gemm
  EXPECT_EQ(find_node(g, "fc")->inputs[0]->producer->op_type, "DequantizeLinear");
  EXPECT_EQ(find_node(g, "fc")->inputs[1]->dtype, DataType::kF32);
  EXPECT_GT(sqnr_db(q.before[0], q.after[0]), 30.0);
}

TEST(Int8Quantization, NoRangesMeansNoChange) {
  auto g = small_net();
  PassContext ctx;
  EXPECT_FALSE(Int8QuantizationPass({}, {}).run(*g, ctx));
  EXPECT_EQ(count_ops(*g, "QuantizeLinear"), 0);
}

// A channel whose weights are almost zero but whose bias is not (BatchNorm folded into a dead
// channel, as EfficientNet-Lite's stem has): at scale input_scale * weight_scale the bias would
// not fit in int32 and was clamped to 0.013 of its 4.9. The weight scale is widened instead.
TEST(Int8Quantization, BiasOfANearlyZeroWeightChannelKeepsItsValue) {
  Graph g;
  Value* x = g.add_value("x", DataType::kF32, Shape::from_dims({1, 2, 4, 4}));
  g.inputs.push_back(x);
  Tensor w(DataType::kF32, {2, 2, 1, 1});
  const float weights[] = {1e-7f, -1e-7f, 0.5f, -0.25f};
  std::copy(weights, weights + 4, w.data<float>());
  Tensor b(DataType::kF32, {2});
  b.data<float>()[0] = 4.9f;
  b.data<float>()[1] = 0.1f;
  Value* y = g.add_value("y");
  g.add_node("Conv", "conv", {x, g.add_constant("w", w), g.add_constant("b", b)}, {y});
  g.outputs.push_back(y);
  propagate_shapes(g);
  const Tensor in = random_tensor({1, 2, 4, 4}, 7, -1.f, 1.f);
  const Tensor before = reference::run_graph(g, {in}).at(0);
  PassContext ctx;
  ASSERT_TRUE(Int8QuantizationPass(measure_ranges(g, in)).run(g, ctx));
  propagate_shapes(g);
  const Tensor after = reference::run_graph(g, {in}).at(0);
  const float step = (4.9f + 1.f) / 255.f;  // the output's scale, about
  for (int64_t i = 0; i < 16; ++i) EXPECT_NEAR(after.data<float>()[i], 4.9f, step) << i;
  EXPECT_LT(max_abs_diff(before, after), 2 * step);
}

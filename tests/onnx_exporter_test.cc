// onnx_exporter: IR graphs written as ONNX and read back by the importer run like the original
// through the reference executor: an fp32 graph with every fused form the passes make (activations,
// Conv residual, opset < 13 Softmax, Cast to fp16, HardSwish), and the same net after the int8 pass
// in QDQ form (each quantized value keeps its integers). Also the ModelProto itself (opset, dims,
// no internal attributes, integer weights behind DequantizeLinear) and errors naming the node.
#include "frontends/onnx/onnx_exporter.h"

#include <gtest/gtest.h>
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

#include "frontends/onnx/onnx_importer.h"
#include "lowp/error.h"
#include "lowp/shape_propagation.h"
#include "passes/int8_quantization.h"
#include "passes/quant_params.h"
#include "reference/reference_executor.h"
#include "tests/test_util.h"

using namespace lowp;
using namespace lowp::testing;

namespace {

Shape batch_shape(std::vector<int64_t> rest) {
  std::vector<Dim> dims = {Dim{-1, "N"}};
  for (int64_t d : rest) dims.push_back(Dim{d, {}});
  return Shape(std::move(dims));
}

Value* weight(Graph& g, const std::string& name, const Dims& dims, uint32_t seed) {
  return g.add_constant(name, random_tensor(dims, seed, -0.4f, 0.4f));
}

// x[N,3,8,8] -> conv_a (Relu) -> conv_b (+conv_a residual, Clip 0..4) -> maxpool -> gap ->
// flatten -> fc (LeakyRelu) -> softmax; outputs: fc's logits and the softmax. With `extras`, also
// the fp32-only forms: a HardSwish Conv, an opset-11 Softmax over channels of a 4-D tensor, and a
// round trip through fp16.
std::unique_ptr<Graph> make_net(bool extras) {
  auto g = std::make_unique<Graph>();
  g->name = "export_net";
  Value* x = g->add_value("x", DataType::kF32, batch_shape({3, 8, 8}));
  g->inputs.push_back(x);
  Value* a = g->add_value("a");
  Node* conv_a = g->add_node("Conv", "conv_a",
                             {x, weight(*g, "wa", {8, 3, 3, 3}, 1), weight(*g, "ba", {8}, 2)}, {a});
  conv_a->attributes["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  conv_a->activation = FusedActivation::of(ActivationKind::kRelu);
  Value* b = g->add_value("b");
  Node* conv_b = g->add_node(
      "Conv", "conv_b", {a, weight(*g, "wb", {8, 8, 3, 3}, 3), weight(*g, "bb", {8}, 4), a}, {b});
  conv_b->attributes["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  conv_b->activation = FusedActivation::clip(0.f, 4.f);
  Value* trunk = b;
  if (extras) {
    Value* c = g->add_value("c");
    Node* conv_c = g->add_node("Conv", "conv_c", {b, weight(*g, "wc", {8, 8, 1, 1}, 5)}, {c});
    conv_c->activation = FusedActivation::of(ActivationKind::kHardSwish);
    Value* sm4 = g->add_value("sm4");
    Node* sm = g->add_node("Softmax", "softmax_channels", {c}, {sm4});
    sm->attributes["axis"] = int64_t{1};
    sm->attributes["_coerce_2d"] = int64_t{1};
    Value* h = g->add_value("h");
    g->add_node("Cast", "to_half", {sm4}, {h})->attributes["to"] =
        static_cast<int64_t>(DataType::kF16);
    Value* f = g->add_value("f");
    g->add_node("Cast", "to_float", {h}, {f})->attributes["to"] =
        static_cast<int64_t>(DataType::kF32);
    Value* hs = g->add_value("hs");
    g->add_node("HardSwish", "hard_swish", {f}, {hs});
    Value* sum = g->add_value("sum");
    g->add_node("Add", "join", {b, hs}, {sum});
    trunk = sum;
  }
  Value* mp = g->add_value("mp");
  Node* pool = g->add_node("MaxPool", "maxpool", {trunk}, {mp});
  pool->attributes["kernel_shape"] = std::vector<int64_t>{2, 2};
  pool->attributes["strides"] = std::vector<int64_t>{2, 2};
  Value* gap = g->add_value("gap");
  g->add_node("GlobalAveragePool", "gap", {mp}, {gap});
  Value* flat = g->add_value("flat");
  g->add_node("Flatten", "flatten", {gap}, {flat})->attributes["axis"] = int64_t{1};
  Value* logits = g->add_value("logits");
  Node* fc = g->add_node(
      "Gemm", "fc", {flat, weight(*g, "wfc", {10, 8}, 6), weight(*g, "bfc", {10}, 7)}, {logits});
  fc->attributes["transB"] = int64_t{1};
  if (extras) {
    fc->activation = FusedActivation::leaky_relu(0.1f);
  }
  Value* prob = g->add_value("prob");
  Node* sm = g->add_node("Softmax", "softmax", {logits}, {prob});
  sm->attributes["axis"] = int64_t{1};
  sm->attributes["_coerce_2d"] = int64_t{1};
  g->outputs = {logits, prob};
  propagate_shapes(*g);
  return g;
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("lowp_export_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

// Exports `g`, reads the file back with the ONNX importer.
std::shared_ptr<Graph> round_trip(const Graph& g, const std::string& name,
                                  onnx::ModelProto* proto = nullptr) {
  const std::string path = temp_path(name);
  onnx_frontend::export_onnx_file(g, path);
  auto back = onnx_frontend::import_file(path);
  // ONNX's checker with its strict shape inference: every node valid at the opset written.
  onnx::ModelProto written;
  EXPECT_TRUE(written.ParseFromString(onnx_frontend::export_onnx(g)));
  try {
    onnx::checker::check_model(written);
    onnx::shape_inference::InferShapes(written, onnx::OpSchemaRegistry::Instance(),
                                       onnx::ShapeInferenceOptions(true, 1));
  } catch (const std::exception& e) {
    ADD_FAILURE() << name << ": ONNX's checker refuses the export: " << e.what();
  }
  if (proto) *proto = written;
  std::filesystem::remove(path);
  return back;
}

int count_ops(const onnx::GraphProto& g, const std::string& op) {
  return static_cast<int>(std::count_if(g.node().begin(), g.node().end(),
                                        [&](const auto& n) { return n.op_type() == op; }));
}

const onnx::TensorProto* find_initializer(const onnx::GraphProto& g, const std::string& name) {
  for (const auto& t : g.initializer()) {
    if (t.name() == name) return &t;
  }
  return nullptr;
}

std::map<std::string, TensorRange> measure_ranges(const Graph& g, const Tensor& x) {
  std::map<std::string, TensorRange> out;
  auto values = reference::run_graph_all_values(g, {x});
  values[g.inputs[0]->name] = x;
  for (const auto& [name, t] : values) {
    if (t.dtype() != DataType::kF32) continue;
    const auto v = t.to_float();
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    out[name] = make_tensor_range(*lo, *hi, false);
  }
  return out;
}

}  // namespace

TEST(OnnxExporter, Fp32GraphRoundTripsThroughOnnx) {
  auto g = make_net(true);
  onnx::ModelProto proto;
  auto back = round_trip(*g, "fp32.onnx", &proto);

  EXPECT_EQ(proto.ir_version(), 8);
  ASSERT_EQ(proto.opset_import_size(), 1);
  EXPECT_EQ(proto.opset_import(0).domain(), "");
  EXPECT_EQ(proto.opset_import(0).version(), 13);
  const auto& pg = proto.graph();
  ASSERT_EQ(pg.input_size(), 1);
  EXPECT_EQ(pg.input(0).type().tensor_type().shape().dim(0).dim_param(), "N");
  EXPECT_EQ(pg.input(0).type().tensor_type().shape().dim(1).dim_value(), 3);
  EXPECT_EQ(pg.output(0).name(), "logits");
  EXPECT_EQ(pg.output(1).name(), "prob");
  for (const auto& n : pg.node()) {
    for (const auto& a : n.attribute()) EXPECT_NE(a.name()[0], '_') << n.name();
    if (n.op_type() == "Cast" && n.name() == "to_half") {
      EXPECT_EQ(n.attribute(0).i(), onnx::TensorProto_DataType_FLOAT16);
    }
  }
  EXPECT_EQ(count_ops(pg, "Relu"), 1);
  EXPECT_EQ(count_ops(pg, "Clip"), 1);
  EXPECT_EQ(count_ops(pg, "LeakyRelu"), 1);
  EXPECT_EQ(count_ops(pg, "Add"), 2);          // conv_b's residual and join
  EXPECT_EQ(count_ops(pg, "HardSigmoid"), 2);  // the fused and the plain HardSwish
  EXPECT_EQ(count_ops(pg, "Reshape"), 1);      // the 4-D opset-11 Softmax only
  EXPECT_EQ(count_ops(pg, "Softmax"), 2);

  const Tensor x = random_tensor({2, 3, 8, 8}, 11, -1.f, 1.f);
  const auto want = reference::run_graph(*g, {x});
  const auto got = reference::run_graph(*back, {x});
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    std::string report;
    EXPECT_TRUE(all_close(got[i], want[i], 1e-5f, 1e-5f, &report))
        << "output " << i << ": " << report;
  }
}

TEST(OnnxExporter, Int8GraphExportsAsQdqAndKeepsItsIntegers) {
  auto g = make_net(false);
  const Tensor calib = random_tensor({4, 3, 8, 8}, 21, -1.f, 1.f);
  PassContext ctx;
  ASSERT_TRUE(Int8QuantizationPass(measure_ranges(*g, calib), {}).run(*g, ctx));
  propagate_shapes(*g);

  onnx::ModelProto proto;
  auto back = round_trip(*g, "int8.onnx", &proto);
  const auto& pg = proto.graph();
  // Integer weights and biases behind DequantizeLinear; per-channel weights on axis 0.
  for (const auto& n : pg.node()) {
    if (n.op_type() != "Conv" && n.op_type() != "Gemm") continue;
    for (int i = 0; i < n.input_size(); ++i) {
      const auto* dq = [&]() -> const onnx::NodeProto* {
        for (const auto& m : pg.node()) {
          if (m.output_size() && m.output(0) == n.input(i)) return &m;
        }
        return nullptr;
      }();
      ASSERT_NE(dq, nullptr) << n.name() << " input " << i;
      EXPECT_EQ(dq->op_type(), "DequantizeLinear") << n.name() << " input " << i;
      const auto* q = find_initializer(pg, dq->input(0));
      if (i == 1) {
        ASSERT_NE(q, nullptr);
        EXPECT_EQ(q->data_type(), onnx::TensorProto_DataType_INT8);
        ASSERT_EQ(dq->attribute_size(), 1);
        EXPECT_EQ(dq->attribute(0).i(), 0);
        EXPECT_EQ(find_initializer(pg, dq->input(1))->dims(0), q->dims(0));
      } else if (i == 2) {
        ASSERT_NE(q, nullptr);
        EXPECT_EQ(q->data_type(), onnx::TensorProto_DataType_INT32);
      }
    }
  }
  EXPECT_GE(count_ops(pg, "QuantizeLinear"), 4);  // input, conv_a, conv_b, maxpool, gap
  EXPECT_EQ(pg.output(0).type().tensor_type().elem_type(), onnx::TensorProto_DataType_FLOAT);

  // Same results through the reference executor: quantized values keep their integers (one step
  // for a rounding tie at most), float outputs agree to float rounding.
  const Tensor x = random_tensor({3, 3, 8, 8}, 31, -1.f, 1.f);
  const auto want = reference::run_graph_all_values(*g, {x});
  const auto got = reference::run_graph_all_values(*back, {x});
  int compared = 0;
  for (const auto& v : g->values()) {
    if (!v->quant || v->constant || v->dtype == DataType::kS32) continue;
    auto w = want.find(v->name);
    auto o = got.find(v->name);
    if (w == want.end() || o == got.end()) continue;
    EXPECT_EQ(o->second.dtype(), v->dtype) << v->name;
    EXPECT_LE(max_abs_diff(o->second, w->second), 1.f) << v->name;
    ++compared;
  }
  EXPECT_GE(compared, 5);
  const auto out_want = reference::run_graph(*g, {x});
  const auto out_got = reference::run_graph(*back, {x});
  for (size_t i = 0; i < out_want.size(); ++i) {
    std::string report;
    EXPECT_TRUE(all_close(out_got[i], out_want[i], 1e-4f, 1e-4f, &report))
        << "output " << i << ": " << report;
  }
}

// The transformer fused forms are written in opset-13 ops: MatMul's bias (input 2) and fused
// activation become Add and Relu after a two-input MatMul; Gelu (opset 20) its erf / tanh formula.
TEST(OnnxExporter, MatMulBiasAndGeluAreWrittenInOpset13Ops) {
  Graph g;
  Value* x = g.add_value("x", DataType::kF32, batch_shape({5, 8}));
  g.inputs.push_back(x);
  Value* mm = g.add_value("mm");
  g.add_node("MatMul", "fc", {x, weight(g, "w", {8, 6}, 31), weight(g, "b", {6}, 32)}, {mm})
      ->activation = FusedActivation::of(ActivationKind::kRelu);
  Value* erf_gelu = g.add_value("erf_gelu");
  g.add_node("Gelu", "gelu_erf", {mm}, {erf_gelu});
  Value* tanh_gelu = g.add_value("tanh_gelu");
  g.add_node("Gelu", "gelu_tanh", {erf_gelu}, {tanh_gelu})->attributes["approximate"] =
      std::string("tanh");
  g.outputs.push_back(tanh_gelu);
  propagate_shapes(g);
  onnx::ModelProto proto;
  auto back = round_trip(g, "transformer.onnx", &proto);
  const auto& pg = proto.graph();
  EXPECT_EQ(count_ops(pg, "Gelu"), 0);
  EXPECT_EQ(count_ops(pg, "Erf"), 1);
  EXPECT_EQ(count_ops(pg, "Tanh"), 1);
  EXPECT_EQ(count_ops(pg, "Relu"), 1);
  for (const auto& n : pg.node()) {
    if (n.op_type() == "MatMul") {
      EXPECT_EQ(n.input_size(), 2) << n.name();
    }
  }
  const Tensor in = random_tensor({2, 5, 8}, 33, -2.f, 2.f);
  std::string report;
  EXPECT_TRUE(all_close(reference::run_graph(*back, {in}).at(0),
                        reference::run_graph(g, {in}).at(0), 1e-5f, 1e-5f, &report))
      << report;
}

// LayerNormalization (opset 17) is written as its opset-13 formula and ReduceMean's axes input
// (opset 18) as the axes attribute; ScatterND with a reduction (opset 16 / 18) is refused.
TEST(OnnxExporter, LayerNormAndReduceMeanAreWrittenInOpset13Ops) {
  Graph g;
  Value* x = g.add_value("x", DataType::kF32, batch_shape({5, 8}));
  g.inputs.push_back(x);
  Value* ln = g.add_value("ln");
  Node* norm = g.add_node("LayerNormalization", "norm",
                          {x, weight(g, "gamma", {8}, 34), weight(g, "beta", {8}, 35)}, {ln});
  norm->attributes["axis"] = int64_t{-1};
  norm->attributes["epsilon"] = 1e-3f;
  Value* ln2 = g.add_value("ln2");
  g.add_node("LayerNormalization", "norm_no_bias", {ln, weight(g, "gamma2", {5, 8}, 36)}, {ln2})
      ->attributes["axis"] = int64_t{1};
  Tensor axes(DataType::kS64, {1});
  axes.data<int64_t>()[0] = 1;
  Value* mean = g.add_value("mean");
  g.add_node("ReduceMean", "mean", {ln2, g.add_constant("axes", std::move(axes))}, {mean});
  g.outputs = {ln, mean};
  propagate_shapes(g);
  onnx::ModelProto proto;
  auto back = round_trip(g, "layer_norm.onnx", &proto);
  EXPECT_EQ(count_ops(proto.graph(), "LayerNormalization"), 0);
  for (const auto& n : proto.graph().node()) {
    if (n.op_type() == "ReduceMean") {
      EXPECT_EQ(n.input_size(), 1) << n.name();
    }
  }
  const Tensor in = random_tensor({2, 5, 8}, 37, -2.f, 2.f);
  const auto want = reference::run_graph(g, {in});
  const auto got = reference::run_graph(*back, {in});
  for (size_t i = 0; i < want.size(); ++i) {
    std::string report;
    EXPECT_TRUE(all_close(got.at(i), want[i], 1e-5f, 1e-5f, &report)) << i << ": " << report;
  }

  Graph scatter;
  Value* data = scatter.add_value("data", DataType::kF32, Shape::from_dims({4, 3}));
  Value* updates = scatter.add_value("updates", DataType::kF32, Shape::from_dims({1, 3}));
  scatter.inputs = {data, updates};
  Tensor index(DataType::kS64, {1, 1});
  index.data<int64_t>()[0] = 2;
  Value* y = scatter.add_value("y");
  scatter
      .add_node("ScatterND", "scatter_add",
                {data, scatter.add_constant("index", std::move(index)), updates}, {y})
      ->attributes["reduction"] = std::string("add");
  scatter.outputs = {y};
  propagate_shapes(scatter);
  try {
    onnx_frontend::export_onnx(scatter);
    FAIL() << "a ScatterND with a reduction was exported at opset 13";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("scatter_add"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("reduction"), std::string::npos) << e.what();
  }
}

TEST(OnnxExporter, ErrorsNameTheNode) {
  auto g = make_net(false);
  for (const auto& n : g->nodes()) {
    if (n->name == "conv_b") n->activation.kind = static_cast<ActivationKind>(99);  // corrupt
  }
  try {
    onnx_frontend::export_onnx_file(*g, temp_path("bad.onnx"));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("conv_b"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("unknown fused activation"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("bad.onnx"), std::string::npos) << e.what();
  }
}

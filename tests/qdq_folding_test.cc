// QDQ import and QdqFoldingPass: a small QDQ model in ONNX Runtime's quantize_static layout
// (Q -> DQ around every activation, DQ'd int8 weights and int32 bias) imports and runs as plain
// QuantizeLinear / DequantizeLinear nodes, and folds into the int8 contract with the same results.
#include "passes/qdq_folding.h"

#include <gtest/gtest.h>

#include "frontends/onnx/onnx_importer.h"
#include "lowp/shape_propagation.h"
#include "reference/reference_executor.h"
#include "tests/onnx_model_builder.h"
#include "tests/test_util.h"

using namespace lowp;
using namespace lowp::testing;

namespace {

onnx::TensorProto* add_int_initializer(onnx::ModelProto& m, const std::string& name, int type,
                                       std::vector<int64_t> dims, const std::vector<int>& values) {
  auto* t = m.mutable_graph()->add_initializer();
  t->set_name(name);
  t->set_data_type(type);
  for (int64_t d : dims) t->add_dims(d);
  for (int v : values) t->add_int32_data(v);
  return t;
}

void set_int(onnx::NodeProto* n, const std::string& name, int64_t v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto_AttributeType_INT);
  a->set_i(v);
}

// Adds Q -> DQ of `in` with per-tensor u8 params; returns the DQ output name.
std::string qdq(onnx::ModelProto& m, const std::string& in, float scale, int zero) {
  add_initializer(m, in + "_s", {}, {scale});
  add_int_initializer(m, in + "_z", onnx::TensorProto_DataType_UINT8, {}, {zero});
  add_node(m, "QuantizeLinear", in + "_Q", {in, in + "_s", in + "_z"}, {in + "_q"});
  add_node(m, "DequantizeLinear", in + "_DQ", {in + "_q", in + "_s", in + "_z"}, {in + "_dq"});
  return in + "_dq";
}

// x -> QDQ -> Conv(DQ w s8 per channel, DQ b s32) -> Relu -> QDQ -> MaxPool -> QDQ ->
// GlobalAveragePool -> QDQ -> Flatten -> QDQ -> Gemm(DQ w s8, f32 bias) -> y
onnx::ModelProto qdq_model() {
  auto m = make_model(13);
  add_io(m.mutable_graph()->add_input(), "x", {1, 3, 8, 8});
  add_io(m.mutable_graph()->add_output(), "y", {1, 5});
  const float sx = 1.f / 64.f;
  const std::vector<float> sw{0.01f, 0.02f, 0.005f, 0.03f};
  std::vector<int> w(4 * 27);
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<int>((i * 37) % 255) - 127;
  for (int c = 0; c < 4; ++c) w[static_cast<size_t>(c) * 27] = 127;  // max |q| per channel
  add_int_initializer(m, "w", onnx::TensorProto_DataType_INT8, {4, 3, 3, 3}, w);
  add_initializer(m, "w_s", {4}, sw);
  add_int_initializer(m, "w_z", onnx::TensorProto_DataType_INT8, {4}, {0, 0, 0, 0});
  set_int(add_node(m, "DequantizeLinear", "w_DQ", {"w", "w_s", "w_z"}, {"w_dq"}), "axis", 0);
  add_int_initializer(m, "b", onnx::TensorProto_DataType_INT32, {4}, {100, -200, 300, 50});
  add_initializer(m, "b_s", {4}, {sx * sw[0], sx * sw[1], sx * sw[2], sx * sw[3]});
  set_int(add_node(m, "DequantizeLinear", "b_DQ", {"b", "b_s"}, {"b_dq"}), "axis", 0);
  const std::string xd = qdq(m, "x", sx, 128);
  set_ints(add_node(m, "Conv", "conv", {xd, "w_dq", "b_dq"}, {"c"}), "pads", {1, 1, 1, 1});
  add_node(m, "Relu", "relu", {"c"}, {"r"});
  auto* pool = add_node(m, "MaxPool", "pool", {qdq(m, "r", 0.05f, 0)}, {"p"});
  set_ints(pool, "kernel_shape", {2, 2});
  set_ints(pool, "strides", {2, 2});
  add_node(m, "GlobalAveragePool", "gap", {qdq(m, "p", 0.05f, 0)}, {"g"});
  add_node(m, "Flatten", "flatten", {qdq(m, "g", 0.03f, 0)}, {"f"});
  std::vector<int> wg(5 * 4);
  for (size_t i = 0; i < wg.size(); ++i) wg[i] = static_cast<int>((i * 53) % 255) - 127;
  add_int_initializer(m, "wg", onnx::TensorProto_DataType_INT8, {5, 4}, wg);
  add_initializer(m, "wg_s", {}, {0.02f});
  add_node(m, "DequantizeLinear", "wg_DQ", {"wg", "wg_s"}, {"wg_dq"});
  add_initializer(m, "bg", {5}, {0.1f, -0.2f, 0.3f, 0.f, 0.05f});
  auto* gemm = add_node(m, "Gemm", "fc", {qdq(m, "f", 0.03f, 0), "wg_dq", "bg"}, {"y"});
  set_int(gemm, "transB", 1);
  return m;
}

int count_ops(const Graph& g, const std::string& op) {
  int n = 0;
  for (const auto& node : g.nodes()) n += node->op_type == op;
  return n;
}

}  // namespace

TEST(QdqFolding, SmallQdqModelFoldsToInt8Contract) {
  const std::string path = std::string(LOWP_BINARY_DIR) + "/qdq_small.onnx";
  save_model(qdq_model(), path);
  auto graph = onnx_frontend::import_file(path);
  const Tensor x = random_tensor({1, 3, 8, 8}, 7, -1.f, 1.f);
  const Tensor unfolded = reference::run_graph(*graph, {x})[0];

  PassContext ctx;
  ASSERT_TRUE(QdqFoldingPass().run(*graph, ctx));
  propagate_shapes(*graph);
  for (const auto& line : ctx.log) std::cout << line << "\n";
  EXPECT_EQ(count_ops(*graph, "QuantizeLinear"), 1);  // the graph input
  EXPECT_EQ(count_ops(*graph, "DequantizeLinear"), 0);
  EXPECT_EQ(count_ops(*graph, "Relu"), 0);
  for (const auto& n : graph->nodes()) {
    if (n->op_type == "Conv") {
      EXPECT_EQ(n->activation.kind, ActivationKind::kRelu);
      EXPECT_EQ(n->inputs[0]->dtype, DataType::kU8);
      EXPECT_EQ(n->inputs[1]->dtype, DataType::kS8);
      EXPECT_EQ(n->inputs[2]->dtype, DataType::kS32);
      EXPECT_EQ(n->outputs[0]->dtype, DataType::kU8);
    }
    if (n->op_type == "Gemm") {
      EXPECT_EQ(n->outputs[0]->dtype, DataType::kF32);
    }
    if (n->op_type == "MaxPool") {
      EXPECT_EQ(n->outputs[0]->dtype, DataType::kU8);
    }
  }
  const Tensor folded = reference::run_graph(*graph, {x})[0];
  std::string report;
  EXPECT_TRUE(all_close(folded, unfolded, 1e-4f, 1e-4f, &report)) << report;
}

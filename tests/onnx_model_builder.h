// Builds small ONNX models in tests (valid ones and deliberately broken ones).
#pragma once

#include <onnx/onnx_pb.h>

#include <fstream>
#include <string>
#include <vector>

namespace lowp::testing {

inline onnx::ModelProto make_model(int64_t opset) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  auto* o = m.add_opset_import();
  o->set_domain("");
  o->set_version(opset);
  m.mutable_graph()->set_name("test");
  return m;
}

inline void add_io(onnx::ValueInfoProto* v, const std::string& name, std::vector<int64_t> dims,
                   int elem = onnx::TensorProto_DataType_FLOAT) {
  v->set_name(name);
  auto* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(elem);
  auto* s = t->mutable_shape();
  for (int64_t d : dims) {
    if (d < 0) {
      s->add_dim()->set_dim_param("N");
    } else {
      s->add_dim()->set_dim_value(d);
    }
  }
}

inline onnx::NodeProto* add_node(onnx::ModelProto& m, const std::string& op,
                                 const std::string& name, std::vector<std::string> inputs,
                                 std::vector<std::string> outputs) {
  auto* n = m.mutable_graph()->add_node();
  n->set_op_type(op);
  n->set_name(name);
  for (auto& i : inputs) n->add_input(i);
  for (auto& o : outputs) n->add_output(o);
  return n;
}

inline onnx::TensorProto* add_initializer(onnx::ModelProto& m, const std::string& name,
                                          std::vector<int64_t> dims,
                                          const std::vector<float>& values) {
  auto* t = m.mutable_graph()->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto_DataType_FLOAT);
  for (int64_t d : dims) t->add_dims(d);
  for (float v : values) t->add_float_data(v);
  return t;
}

inline void set_ints(onnx::NodeProto* n, const std::string& name, std::vector<int64_t> values) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto_AttributeType_INTS);
  for (int64_t v : values) a->add_ints(v);
}

inline void save_model(const onnx::ModelProto& m, const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  m.SerializeToOstream(&out);
}

// x[1,4] -> Sigmoid (node "the_sigmoid") -> y: an op the CPU runs and the CUDA backend lacks.
inline onnx::ModelProto sigmoid_model() {
  onnx::ModelProto m = make_model(17);
  add_io(m.mutable_graph()->add_input(), "x", {1, 4});
  add_node(m, "Sigmoid", "the_sigmoid", {"x"}, {"y"});
  add_io(m.mutable_graph()->add_output(), "y", {1, 4});
  return m;
}

// x[N,2,4,4] -> Conv(3x3, pad 1, 3 out channels) -> Relu -> GlobalAveragePool -> Flatten -> y[N,3].
inline onnx::ModelProto small_conv_model() {
  auto m = make_model(13);
  add_io(m.mutable_graph()->add_input(), "x", {-1, 2, 4, 4});
  add_io(m.mutable_graph()->add_output(), "y", {-1, 3});
  std::vector<float> w(3 * 2 * 3 * 3);
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>((i * 7) % 11) / 11.f - 0.4f;
  add_initializer(m, "w", {3, 2, 3, 3}, w);
  add_initializer(m, "b", {3}, {0.1f, -0.2f, 0.3f});
  auto* conv = add_node(m, "Conv", "conv", {"x", "w", "b"}, {"c"});
  set_ints(conv, "pads", {1, 1, 1, 1});
  add_node(m, "Relu", "relu", {"c"}, {"r"});
  add_node(m, "GlobalAveragePool", "gap", {"r"}, {"g"});
  add_node(m, "Flatten", "flatten", {"g"}, {"y"});
  return m;
}

// x.view(x.size(0), -1) as PyTorch exports it: Shape -> Gather(0) -> Unsqueeze -> Concat(-1) ->
// Reshape(x) -> "r" (x dims `in`, -1 for the symbolic batch). The caller declares the outputs.
inline onnx::ModelProto shape_subgraph_reshape_model(std::vector<int64_t> in) {
  auto m = make_model(13);
  add_io(m.mutable_graph()->add_input(), "x", std::move(in));
  auto int64_constant = [&](const std::string& name, int64_t v, bool vector) {
    auto* t = m.mutable_graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto_DataType_INT64);
    if (vector) t->add_dims(1);
    t->add_int64_data(v);
  };
  int64_constant("zero", 0, false);
  int64_constant("axes", 0, true);
  int64_constant("minus1", -1, true);
  add_node(m, "Shape", "shape", {"x"}, {"s"});
  add_node(m, "Gather", "gather", {"s", "zero"}, {"n"});
  add_node(m, "Unsqueeze", "unsqueeze", {"n", "axes"}, {"n1"});
  auto* a = add_node(m, "Concat", "concat", {"n1", "minus1"}, {"shape2"})->add_attribute();
  a->set_name("axis");
  a->set_type(onnx::AttributeProto_AttributeType_INT);
  a->set_i(0);
  add_node(m, "Reshape", "reshape", {"x", "shape2"}, {"r"});
  return m;
}

}  // namespace lowp::testing

// Small graphs built in tests, op by op, and run through the CPU engine beside the reference
// executor.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lowp/graph_verifier.h"
#include "lowp/lowp.h"
#include "lowp/shape_propagation.h"
#include "passes/pass.h"
#include "reference/reference_executor.h"
#include "tests/test_util.h"

namespace lowp::testing {

inline Tensor ints(std::vector<int64_t> values) {
  Tensor t(DataType::kS64, {static_cast<int64_t>(values.size())});
  for (size_t i = 0; i < values.size(); ++i) t.data<int64_t>()[i] = values[i];
  return t;
}

inline Tensor scalar(float v) {
  Tensor t(DataType::kF32, {});
  *t.data<float>() = v;
  return t;
}

struct Net {
  std::shared_ptr<Graph> g = std::make_shared<Graph>();
  Value* input(const std::string& name, const Dims& dims, DataType t = DataType::kF32) {
    Value* v = g->add_value(name, t, Shape::from_dims(dims));
    g->inputs.push_back(v);
    return v;
  }
  Value* op(const std::string& type, std::vector<Value*> in,
            std::map<std::string, Attribute> attrs = {}) {
    Value* y = g->add_value(g->unique_name(type + "_out"));
    g->add_node(type, g->unique_name(type), std::move(in), {y})->attributes = std::move(attrs);
    return y;
  }
  Value* constant(Tensor t) { return g->add_constant(g->unique_name("c"), std::move(t)); }
};

// Runs `net` (outputs set) through the CPU engine and the reference executor; returns describe().
inline std::vector<std::string> check_against_reference(Net& net, const std::vector<Tensor>& inputs,
                                                        float tolerance = 1e-5f,
                                                        CompileOptions options = {}) {
  propagate_shapes(*net.g);
  const std::vector<Tensor> want = reference::run_graph(*net.g, inputs);
  auto engine = Engine::compile(net.g, options);
  std::vector<TensorBinding> bindings;
  for (size_t i = 0; i < inputs.size(); ++i) {
    bindings.push_back({engine->inputs()[i].name, inputs[i]});
  }
  const std::vector<Tensor> got = engine->create_session()->run(bindings);
  EXPECT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size() && i < want.size(); ++i) {
    EXPECT_EQ(got[i].dims(), want[i].dims()) << "output " << i;
    if (got[i].dims() == want[i].dims()) {
      EXPECT_LE(max_abs_diff(got[i], want[i]), tolerance) << "output " << i;
    }
  }
  return engine->describe();
}

inline bool mentions(const std::vector<std::string>& lines, const std::string& what) {
  for (const std::string& l : lines) {
    if (l.find(what) != std::string::npos) return true;
  }
  return false;
}

inline int count_ops(const Graph& g, const std::string& op) {
  int n = 0;
  for (const auto& node : g.nodes()) n += node->op_type == op ? 1 : 0;
  return n;
}

// Runs `pass` on `n`, checking the graph computes the same before and after (reference
// kernels); returns whether it changed.
inline bool run_pass_checked(const Pass& pass, Net& n, const std::vector<Tensor>& inputs,
                             PassContext ctx = {}) {
  propagate_shapes(*n.g);
  const std::vector<Tensor> before = reference::run_graph(*n.g, inputs);
  const bool changed = pass.run(*n.g, ctx);
  n.g->topological_sort();
  propagate_shapes(*n.g);
  verify_graph(*n.g, pass.name());
  const std::vector<Tensor> after = reference::run_graph(*n.g, inputs);
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_LE(max_abs_diff(after.at(i), before[i]), 2e-5f) << pass.name() << " output " << i;
  }
  return changed;
}

}  // namespace lowp::testing

#include "passes/constant_folding.h"

#include <algorithm>

#include "lowp/error.h"
#include "reference/reference_executor.h"

namespace lowp {
namespace {

// A node is foldable when it has at least one input and every present input is constant (except
// DequantizeLinear of an integer weight), or when it is Shape of a value with a static shape.
bool foldable(const Node& n) {
  // An imported int8 weight stays int8: QDQ folding turns DQ(weight) into the weight's QuantParams.
  if (n.op_type == "DequantizeLinear" && n.input(0) && n.input(0)->constant &&
      !traits(n.input(0)->dtype).is_float) {
    return false;
  }
  if (n.op_type == "Shape") {
    const Value* in = n.input(0);
    return in && (in->constant || in->shape.is_static());
  }
  bool any = false;
  for (const Value* in : n.inputs) {
    if (!in) continue;
    if (!in->constant) return false;
    any = true;
  }
  return any;
}

std::vector<Tensor> evaluate(const Node& n) {
  if (n.op_type == "Shape" && !n.input(0)->constant) {
    // Only the dims matter: a zero-sized stand-in avoids materialising the input.
    Tensor stand_in = Tensor::view(n.input(0)->dtype, *n.input(0)->shape.concrete(), nullptr);
    return reference::run_node(n, {&stand_in});
  }
  std::vector<const Tensor*> inputs;
  for (const Value* in : n.inputs) inputs.push_back(in ? in->constant.get() : nullptr);
  return reference::run_node(n, inputs);
}

}  // namespace

int fold_constants(Graph& graph) {
  int folded = 0;
  std::vector<Node*> order;
  for (const auto& n : graph.nodes()) order.push_back(n.get());
  for (Node* n : order) {
    if (!foldable(*n)) continue;
    std::vector<Tensor> results = evaluate(*n);
    std::vector<Value*> outputs = n->outputs;
    graph.remove_node(n);
    for (size_t i = 0; i < outputs.size(); ++i) {
      if (!outputs[i] || i >= results.size()) continue;
      outputs[i]->dtype = results[i].dtype();
      outputs[i]->shape = Shape::from_dims(results[i].dims());
      outputs[i]->constant = std::make_shared<const Tensor>(std::move(results[i]));
    }
    ++folded;
  }
  if (folded) graph.remove_unused_values();
  return folded;
}

bool ConstantFoldingPass::run(Graph& graph, PassContext& ctx) const {
  int n = fold_constants(graph);
  if (n) ctx.note(name(), "folded " + std::to_string(n) + " nodes into constants");
  return n > 0;
}

}  // namespace lowp

#include "passes/constant_folding.h"

#include <algorithm>

#include "core/folding_budget.h"
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

std::vector<Tensor> evaluate(const Node& n, FoldingBudget& budget) {
  std::vector<const Tensor*> inputs;
  Tensor stand_in;
  if (n.op_type == "Shape" && !n.input(0)->constant) {
    // Only the dims matter: a zero-sized stand-in avoids materialising the input.
    stand_in = Tensor::view(n.input(0)->dtype, *n.input(0)->shape.concrete(), nullptr);
    inputs.push_back(&stand_in);
  } else {
    for (const Value* in : n.inputs) inputs.push_back(in ? in->constant.get() : nullptr);
  }
  std::vector<TensorInfo> infos;
  for (const Tensor* t : inputs) {
    TensorInfo info;
    info.present = t != nullptr;
    if (t) info = {t->dtype(), t->dims(), t};
    infos.push_back(info);
  }
  budget.charge(n, infos, infer_node(n, infos));
  return reference::run_node(n, inputs);
}

}  // namespace

int fold_constants(Graph& graph, const FoldingLimits& limits) {
  FoldingBudget budget(limits);
  int folded = 0;
  std::vector<Node*> order;
  for (const auto& n : graph.nodes()) order.push_back(n.get());
  for (Node* n : order) {
    if (!foldable(*n)) continue;
    std::vector<Tensor> results = evaluate(*n, budget);
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
  int n = fold_constants(graph, limits_);
  if (n) ctx.note(name(), "folded " + std::to_string(n) + " nodes into constants");
  return n > 0;
}

}  // namespace lowp

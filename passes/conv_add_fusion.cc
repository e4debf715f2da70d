#include "passes/conv_add_fusion.h"

#include "passes/graph_queries.h"

namespace lowp {
namespace {

// The Conv feeding `add` through operand `i` that can take the other operand as its residual.
Node* fusable_conv(const Graph& g, const Node& add, size_t i) {
  const Value* operand = add.input(i);
  const Value* other = add.input(1 - i);
  if (!operand || !other || !operand->producer) return nullptr;
  Node* conv = operand->producer;
  if (conv->op_type != "Conv" || conv->activation.present() || conv->inputs.size() > 3)
    return nullptr;
  if (sole_consumer(g, operand) != &add) return nullptr;
  if (!operand->shape.has_rank() || operand->shape != other->shape) return nullptr;
  if (operand->dtype != other->dtype || other == operand) return nullptr;
  return conv;
}

}  // namespace

bool ConvAddFusionPass::run(Graph& graph, PassContext& ctx) const {
  bool changed = false;
  std::vector<Node*> adds;
  for (const auto& n : graph.nodes()) {
    if (n->op_type == "Add" && n->inputs.size() == 2) adds.push_back(n.get());
  }
  for (Node* add : adds) {
    for (size_t i = 0; i < 2; ++i) {
      Node* conv = fusable_conv(graph, *add, i);
      if (!conv) continue;
      Value* residual = add->inputs[1 - i];
      std::string label = add->describe();
      absorb_consumer(graph, conv, add);
      conv->inputs.resize(4, nullptr);
      conv->inputs[3] = residual;
      residual->consumers.push_back(conv);
      ctx.note(name(), "fused " + label + " into " + conv->describe() + " as a residual sum");
      changed = true;
      break;
    }
  }
  if (changed) graph.remove_unused_values();
  return changed;
}

}  // namespace lowp

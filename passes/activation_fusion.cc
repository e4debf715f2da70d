#include "passes/activation_fusion.h"

#include "lowp/op_schema.h"
#include "passes/graph_queries.h"

namespace lowp {

bool ActivationFusionPass::run(Graph& graph, PassContext& ctx) const {
  bool changed = false;
  std::vector<Node*> producers;
  for (const auto& n : graph.nodes()) {
    const OpSchema* schema = find_op_schema(n->op_type);
    if (schema && schema->fusable_activations && !n->activation.present()) {
      producers.push_back(n.get());
    }
  }
  for (Node* p : producers) {
    Node* act = sole_consumer(graph, p->outputs[0]);
    if (!act || act->input(0) != p->outputs[0] || act->outputs.size() != 1) continue;
    const auto a = activation_of(*act);
    if (!a || p->outputs[0]->dtype != DataType::kF32) continue;
    if (!(find_op_schema(p->op_type)->fusable_activations & activation_bit(a->kind))) continue;
    p->activation = *a;  // the fused form, for the backend to judge
    if (ctx.backend_supports && !ctx.backend_supports(*p)) {
      p->activation = {};
      continue;
    }
    std::string label = act->describe();
    absorb_consumer(graph, p, act);
    ctx.note(name(), "fused " + label + " into " + p->describe());
    changed = true;
  }
  if (changed) graph.remove_unused_values();
  return changed;
}

}  // namespace lowp

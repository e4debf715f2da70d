#include "passes/identity_removal.h"

#include "passes/graph_queries.h"

namespace lowp {

bool IdentityRemovalPass::run(Graph& graph, PassContext& ctx) const {
  std::vector<Node*> targets;
  for (const auto& n : graph.nodes()) {
    bool identity = n->op_type == "Identity" || n->op_type == "Dropout";
    bool mask_used = n->outputs.size() > 1 && n->outputs[1] &&
                     (!n->outputs[1]->consumers.empty() || is_graph_output(graph, n->outputs[1]));
    if (identity && !mask_used && n->input(0) && !is_graph_output(graph, n->outputs[0])) {
      targets.push_back(n.get());
    }
  }
  for (Node* n : targets) {
    Value* in = n->inputs[0];
    Value* out = n->outputs[0];
    std::string label = n->describe();
    graph.remove_node(n);
    graph.replace_all_uses(out, in);
    ctx.note(name(), "removed " + label);
  }
  if (!targets.empty()) graph.remove_unused_values();
  return !targets.empty();
}

}  // namespace lowp

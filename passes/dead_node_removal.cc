#include "passes/dead_node_removal.h"

#include "passes/graph_queries.h"

namespace lowp {

bool DeadNodeRemovalPass::run(Graph& graph, PassContext& ctx) const {
  bool changed = false;
  bool progress = true;
  while (progress) {  // removing a node may make its producers dead too
    progress = false;
    for (auto it = graph.nodes().rbegin(); it != graph.nodes().rend(); ++it) {
      Node* n = it->get();
      bool live = false;
      for (const Value* out : n->outputs) {
        if (out && (!out->consumers.empty() || is_graph_output(graph, out))) live = true;
      }
      if (!live) {
        ctx.note(name(), "removed " + n->describe());
        graph.remove_node(n);
        progress = changed = true;
        break;
      }
    }
  }
  if (changed) graph.remove_unused_values();
  return changed;
}

}  // namespace lowp

// Small read-only questions that rewrite passes ask about values and nodes.
#pragma once

#include <algorithm>

#include "lowp/graph.h"

namespace lowp {

inline bool is_graph_output(const Graph& g, const Value* v) {
  return std::find(g.outputs.begin(), g.outputs.end(), v) != g.outputs.end();
}

// The single node consuming `v`, or nullptr when v has several (or no) consumers or is an output.
inline Node* sole_consumer(const Graph& g, const Value* v) {
  if (!v || v->consumers.size() != 1 || is_graph_output(g, v)) return nullptr;
  return v->consumers.front();
}

// Makes `keeper` produce `absorbed`'s output and deletes `absorbed` (which consumed keeper's
// output).
inline void absorb_consumer(Graph& g, Node* keeper, Node* absorbed) {
  Value* new_out = absorbed->outputs.at(0);
  g.remove_node(absorbed);
  keeper->outputs[0]->producer = nullptr;
  keeper->outputs[0] = new_out;
  new_out->producer = keeper;
}

}  // namespace lowp

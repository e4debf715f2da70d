// Small read-only questions that rewrite passes ask about values and nodes.
#pragma once

#include <algorithm>
#include <optional>

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

// The value of a one-element float constant, if `v` is one.
inline std::optional<float> scalar_constant(const Value* v) {
  if (!v || !v->constant || v->constant->numel() != 1 || !traits(v->constant->dtype()).is_float) {
    return std::nullopt;
  }
  return v->constant->to_float()[0];
}

// The node producing `v` when it is of `op_type` and `v` has no other use (not a graph output).
inline Node* sole_use_producer(const Graph& g, const Value* v, const char* op_type) {
  if (!v || !v->producer || v->producer->op_type != op_type) return nullptr;
  if (v->consumers.size() != 1 || is_graph_output(g, v)) return nullptr;
  return v->producer;
}

// The operand of the two-input `node` that is not `v` (nullptr when `v` is neither).
inline Value* other_operand(const Node& node, const Value* v) {
  if (node.inputs.size() != 2) return nullptr;
  if (node.inputs[0] == v) return node.inputs[1];
  if (node.inputs[1] == v) return node.inputs[0];
  return nullptr;
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

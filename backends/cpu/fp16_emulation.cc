#include "backends/cpu/fp16_emulation.h"

#include <vector>

#include "backends/cpu/cpu_precision.h"

namespace lowp::cpu {

std::shared_ptr<const Graph> emulate_fp16(std::shared_ptr<const Graph> graph) {
  if (!graph || !graph_uses(*graph, DataType::kF16)) return graph;
  std::shared_ptr<Graph> g = graph->clone();
  // Casts into f16 become Casts into f32 (the dtype every f16 value gets below).
  for (const auto& n : g->nodes()) {
    if (n->op_type != "Cast" || n->attr_int("to", 0) != static_cast<int64_t>(DataType::kF16)) {
      continue;
    }
    n->attributes["to"] = static_cast<int64_t>(DataType::kF32);
  }
  std::vector<size_t> f16_inputs;
  std::vector<size_t> f16_outputs;
  for (size_t i = 0; i < g->inputs.size(); ++i) {
    if (g->inputs[i]->dtype == DataType::kF16) f16_inputs.push_back(i);
  }
  for (size_t j = 0; j < g->outputs.size(); ++j) {
    if (g->outputs[j]->dtype == DataType::kF16) f16_outputs.push_back(j);
  }
  for (const auto& v : g->values()) {
    if (v->dtype != DataType::kF16) continue;
    if (v->constant)
      v->constant = std::make_shared<const Tensor>(v->constant->cast(DataType::kF32));
    v->dtype = DataType::kF32;
  }
  // Casts that now convert f32 to f32 (from a widened f16 value) are no-ops too.
  for (const auto& n : g->nodes()) {
    const Value* src = n->input(0);
    if (n->op_type == "Cast" && src && n->attr_int("to", 0) == static_cast<int64_t>(src->dtype)) {
      n->op_type = "Identity";
      n->attributes.erase("to");
    }
  }
  auto add_cast = [&](Value* from, Value* to) {
    Node* cast = g->add_node("Cast", g->unique_name(to->name + "_cast"), {from}, {to});
    cast->attributes["to"] = static_cast<int64_t>(to->dtype);
  };
  // The backend binds inputs and outputs by position: the f16 edges get fresh values.
  for (size_t i : f16_inputs) {
    Value* inner = g->inputs[i];
    Value* edge = g->add_value(g->unique_name(inner->name + "_f16"), DataType::kF16, inner->shape);
    g->inputs[i] = edge;
    add_cast(edge, inner);
  }
  for (size_t j : f16_outputs) {
    Value* inner = g->outputs[j];
    Value* edge = g->add_value(g->unique_name(inner->name + "_f16"), DataType::kF16, inner->shape);
    g->outputs[j] = edge;
    add_cast(inner, edge);
  }
  g->topological_sort();
  return g;
}

}  // namespace lowp::cpu

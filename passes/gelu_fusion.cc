#include "passes/gelu_fusion.h"

#include <cmath>
#include <optional>
#include <vector>

#include "passes/graph_queries.h"

namespace lowp {
namespace {

bool near(std::optional<float> value, double want) {
  return value && std::fabs(*value - want) <= 1e-4 * std::fabs(want);
}

// The nodes of one matched GELU and its input and output.
struct GeluMatch {
  Value* x = nullptr;
  Value* y = nullptr;
  std::vector<Node*> nodes;
};

// x when `scaled` is x / sqrt(2) or x * (1 / sqrt(2)) computed by a node used only here.
Node* scaling_of(const Graph& g, const Value* scaled, Value** x) {
  if (Node* div = sole_use_producer(g, scaled, "Div");
      div && div->inputs.size() == 2 && near(scalar_constant(div->inputs[1]), std::sqrt(2.0))) {
    *x = div->inputs[0];
    return div;
  }
  Node* mul = sole_use_producer(g, scaled, "Mul");
  for (size_t i = 0; mul && mul->inputs.size() == 2 && i < 2; ++i) {
    if (near(scalar_constant(mul->inputs[1 - i]), 1.0 / std::sqrt(2.0))) {
      *x = mul->inputs[i];
      return mul;
    }
  }
  return nullptr;
}

std::optional<GeluMatch> match_gelu(const Graph& g, Node* erf) {
  GeluMatch m;
  Node* scale = scaling_of(g, erf->input(0), &m.x);
  if (!scale || !m.x || m.x->dtype != DataType::kF32) return std::nullopt;
  Node* add = sole_consumer(g, erf->outputs[0]);
  if (!add || add->op_type != "Add" ||
      !near(scalar_constant(other_operand(*add, erf->outputs[0])), 1.0))
    return std::nullopt;
  Node* mul = sole_consumer(g, add->outputs[0]);
  if (!mul || mul->op_type != "Mul") return std::nullopt;
  Value* factor = other_operand(*mul, add->outputs[0]);
  if (factor == m.x) {  // (x * (erf + 1)) * 0.5
    Node* half = sole_consumer(g, mul->outputs[0]);
    if (!half || half->op_type != "Mul" ||
        !near(scalar_constant(other_operand(*half, mul->outputs[0])), 0.5)) {
      return std::nullopt;
    }
    m.nodes = {scale, erf, add, mul, half};
    m.y = half->outputs[0];
  } else {  // (x * 0.5) * (erf + 1)
    Node* half = sole_use_producer(g, factor, "Mul");
    if (!half || !near(scalar_constant(other_operand(*half, m.x)), 0.5)) {
      return std::nullopt;
    }
    m.nodes = {scale, erf, add, half, mul};
    m.y = mul->outputs[0];
  }
  // The result must keep x's dims: the scalar constants may not add axes.
  if (!m.y->shape.has_rank() || !m.x->shape.has_rank() || m.y->shape.rank() != m.x->shape.rank())
    return std::nullopt;
  return m;
}

}  // namespace

bool GeluFusionPass::run(Graph& graph, PassContext& ctx) const {
  std::vector<Node*> erfs;
  for (const auto& n : graph.nodes()) {
    if (n->op_type == "Erf" && n->inputs.size() == 1) erfs.push_back(n.get());
  }
  bool changed = false;
  for (Node* erf : erfs) {
    const std::optional<GeluMatch> m = match_gelu(graph, erf);
    if (!m) continue;
    const std::string name = erf->name + "_gelu";
    for (Node* n : m->nodes) graph.remove_node(n);
    graph.add_node("Gelu", graph.unique_name(name), {m->x}, {m->y});
    ctx.note(this->name(), "fused the erf GELU of " + m->x->name + " into Gelu");
    changed = true;
  }
  if (changed) graph.remove_unused_values();
  return changed;
}

}  // namespace lowp

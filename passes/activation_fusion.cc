#include "passes/activation_fusion.h"

#include <limits>
#include <optional>

#include "passes/graph_queries.h"

namespace lowp {
namespace {

struct Activation {
  std::string kind;
  float alpha = 0.f;
  float beta = 0.f;
};

std::optional<float> scalar_constant(const Value* v) {
  if (!v || !v->constant || v->constant->numel() != 1) return std::nullopt;
  return v->constant->to_float()[0];
}

std::optional<Activation> as_activation(const Node& n) {
  const std::string& op = n.op_type;
  if (op == "Relu" || op == "Sigmoid" || op == "Tanh" || op == "HardSwish") return Activation{op};
  if (op == "LeakyRelu") return Activation{op, n.attr_float("alpha", 0.01f)};
  if (op == "HardSigmoid")
    return Activation{op, n.attr_float("alpha", 0.2f), n.attr_float("beta", 0.5f)};
  if (op == "Clip") {
    float lo = -std::numeric_limits<float>::infinity();
    float hi = std::numeric_limits<float>::infinity();
    if (n.input(1)) {
      auto v = scalar_constant(n.input(1));
      if (!v) return std::nullopt;
      lo = *v;
    }
    if (n.input(2)) {
      auto v = scalar_constant(n.input(2));
      if (!v) return std::nullopt;
      hi = *v;
    }
    return Activation{op, lo, hi};
  }
  return std::nullopt;
}

}  // namespace

bool ActivationFusionPass::run(Graph& graph, PassContext& ctx) const {
  bool changed = false;
  std::vector<Node*> producers;
  for (const auto& n : graph.nodes()) {
    if ((n->op_type == "Conv" || n->op_type == "Gemm") && !n->has_attr("_activation")) {
      producers.push_back(n.get());
    }
  }
  for (Node* p : producers) {
    Node* act = sole_consumer(graph, p->outputs[0]);
    if (!act || act->input(0) != p->outputs[0] || act->outputs.size() != 1) continue;
    auto a = as_activation(*act);
    if (!a || p->outputs[0]->dtype != DataType::kF32) continue;
    std::string label = act->describe();
    absorb_consumer(graph, p, act);
    p->attributes["_activation"] = a->kind;
    p->attributes["_alpha"] = a->alpha;
    p->attributes["_beta"] = a->beta;
    ctx.note(name(), "fused " + label + " into " + p->describe());
    changed = true;
  }
  if (changed) graph.remove_unused_values();
  return changed;
}

}  // namespace lowp

#include "passes/layer_norm_fusion.h"

#include <optional>
#include <vector>

#include "passes/graph_queries.h"

namespace lowp {
namespace {

struct LayerNormMatch {
  Value* x = nullptr;
  Value* y = nullptr;
  int64_t axis = 0;
  float epsilon = 0.f;
  Value* gamma = nullptr;
  Value* beta = nullptr;
  std::vector<Node*> nodes;
};

// The first axis when `mean` is a keepdims ReduceMean over the trailing axes [axis, rank) of its
// input; -1 otherwise.
int64_t trailing_axis(const Node& mean, size_t rank) {
  if (mean.inputs.size() != 2 || mean.attr_int("keepdims", 1) != 1) return -1;
  const Value* axes = mean.inputs[1];
  if (!axes || !axes->constant || axes->constant->numel() == 0) return -1;
  std::vector<bool> reduced(rank, false);
  for (int64_t a : axes->constant->to_int64()) {
    if (a < 0) a += static_cast<int64_t>(rank);
    if (a < 0 || a >= static_cast<int64_t>(rank) || reduced[static_cast<size_t>(a)]) return -1;
    reduced[static_cast<size_t>(a)] = true;
  }
  size_t first = rank;
  while (first > 0 && reduced[first - 1]) --first;
  for (size_t i = 0; i < first; ++i) {
    if (reduced[i]) return -1;
  }
  return first == rank ? -1 : static_cast<int64_t>(first);
}

// `c` as a constant that broadcasts over the normalised dims only (leading 1s dropped), or null.
Value* row_constant(Graph& g, Value* c, const Shape& x, int64_t axis) {
  if (!c || !c->constant || c->dtype != DataType::kF32) return nullptr;
  const size_t row_rank = x.rank() - static_cast<size_t>(axis);
  Dims d = c->constant->dims();
  if (d.size() > x.rank()) return nullptr;  // the product would gain axes
  while (d.size() > row_rank && d.front() == 1) d.erase(d.begin());
  if (d.size() > row_rank) return nullptr;
  for (size_t k = 0; k < d.size(); ++k) {
    const Dim& want = x.dims()[x.rank() - d.size() + k];
    if (d[k] != 1 && !(want.known() && want.size == d[k])) return nullptr;
  }
  if (d == c->constant->dims()) return c;
  return g.add_constant(g.unique_name(c->name + "_row"), c->constant->reshaped(d));
}

std::optional<LayerNormMatch> match_layer_norm(Graph& g, Node* div) {
  LayerNormMatch m;
  if (div->inputs.size() != 2) return std::nullopt;
  Value* d = div->inputs[0];
  Node* sub = d ? d->producer : nullptr;
  if (!sub || sub->op_type != "Sub" || sub->inputs.size() != 2 || is_graph_output(g, d) ||
      d->consumers.size() != 2) {
    return std::nullopt;
  }
  m.x = sub->inputs[0];
  if (!m.x || m.x->dtype != DataType::kF32 || !m.x->shape.has_rank()) return std::nullopt;
  const size_t rank = m.x->shape.rank();
  Node* mean = sole_use_producer(g, sub->inputs[1], "ReduceMean");
  if (!mean || mean->input(0) != m.x) return std::nullopt;
  m.axis = trailing_axis(*mean, rank);
  Node* sqrt = sole_use_producer(g, div->inputs[1], "Sqrt");
  Node* add = sqrt ? sole_use_producer(g, sqrt->input(0), "Add") : nullptr;
  if (m.axis < 0 || !add || add->inputs.size() != 2) return std::nullopt;
  Node* var = nullptr;
  for (size_t i = 0; i < 2 && !var; ++i) {
    const std::optional<float> eps = scalar_constant(add->inputs[1 - i]);
    if (eps && *eps >= 0.f) {
      var = sole_use_producer(g, add->inputs[i], "ReduceMean");
      m.epsilon = *eps;
    }
  }
  if (!var || trailing_axis(*var, rank) != m.axis) return std::nullopt;
  Node* square = sole_use_producer(g, var->input(0), "Pow");
  if (!square || square->input(0) != d || scalar_constant(square->input(1)) != 2.f) {
    return std::nullopt;
  }
  m.nodes = {mean, sub, square, var, add, sqrt, div};
  m.y = div->outputs[0];
  // Optional affine part.
  if (Node* mul = sole_consumer(g, m.y); mul && mul->op_type == "Mul") {
    if (Value* gamma = row_constant(g, other_operand(*mul, m.y), m.x->shape, m.axis)) {
      m.gamma = gamma;
      m.nodes.push_back(mul);
      m.y = mul->outputs[0];
      if (Node* plus = sole_consumer(g, m.y); plus && plus->op_type == "Add") {
        if (Value* beta = row_constant(g, other_operand(*plus, m.y), m.x->shape, m.axis)) {
          m.beta = beta;
          m.nodes.push_back(plus);
          m.y = plus->outputs[0];
        }
      }
    }
  }
  return m;
}

// Ones over the normalised dims (they must be known), for a LayerNorm without gamma.
Value* ones_row(Graph& g, const Shape& x, int64_t axis) {
  Dims row;
  for (size_t i = static_cast<size_t>(axis); i < x.dims().size(); ++i) {
    if (!x.dims()[i].known()) return nullptr;
    row.push_back(x.dims()[i].size);
  }
  Tensor ones(DataType::kF32, row);
  for (int64_t i = 0; i < ones.numel(); ++i) ones.data<float>()[i] = 1.f;
  return g.add_constant(g.unique_name("layer_norm_ones"), std::move(ones));
}

}  // namespace

bool LayerNormFusionPass::run(Graph& graph, PassContext& ctx) const {
  std::vector<Node*> divs;
  for (const auto& n : graph.nodes()) {
    if (n->op_type == "Div") divs.push_back(n.get());
  }
  bool changed = false;
  for (Node* div : divs) {
    std::optional<LayerNormMatch> m = match_layer_norm(graph, div);
    if (!m) continue;
    Value* gamma = m->gamma ? m->gamma : ones_row(graph, m->x->shape, m->axis);
    if (!gamma) continue;
    const std::string name = div->name + "_layer_norm";
    for (Node* n : m->nodes) graph.remove_node(n);
    std::vector<Value*> inputs = {m->x, gamma};
    if (m->beta) inputs.push_back(m->beta);
    Node* ln = graph.add_node("LayerNormalization", graph.unique_name(name), inputs, {m->y});
    ln->attributes["axis"] = m->axis;
    ln->attributes["epsilon"] = m->epsilon;
    ctx.note(this->name(), "fused the layer normalisation of " + m->x->name +
                               " into LayerNormalization (axis " + std::to_string(m->axis) + ")");
    changed = true;
  }
  if (changed) graph.remove_unused_values();
  return changed;
}

}  // namespace lowp

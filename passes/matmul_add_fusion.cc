#include "passes/matmul_add_fusion.h"

#include "passes/graph_queries.h"

namespace lowp {
namespace {

bool is_f32(const Value* v) { return v && v->dtype == DataType::kF32; }

// The bias operand of `add` when the other one is `product`, if it is a constant row of `n`
// that adds no axes to a rank-`rank` product.
Value* row_bias(const Node& add, const Value* product, int64_t n, size_t rank) {
  Value* c = other_operand(add, product);
  if (!c || c == product || !c->constant || c->dtype != DataType::kF32) return nullptr;
  const Dims& d = c->constant->dims();
  if (d.empty() || d.size() > rank || d.back() != n) return nullptr;
  for (size_t i = 0; i + 1 < d.size(); ++i) {
    if (d[i] != 1) return nullptr;
  }
  return c;
}

}  // namespace

bool MatMulAddFusionPass::run(Graph& graph, PassContext& ctx) const {
  bool changed = false;
  std::vector<Node*> matmuls;
  for (const auto& n : graph.nodes()) {
    if (n->op_type == "MatMul" && n->inputs.size() == 2) matmuls.push_back(n.get());
  }
  for (Node* mm : matmuls) {
    Value* a = mm->input(0);
    Value* b = mm->input(1);
    if (!is_f32(a) || !a->shape.has_rank() || a->shape.rank() < 2) continue;
    if (!b || !b->constant || b->dtype != DataType::kF32 || b->constant->rank() != 2) continue;
    Node* add = sole_consumer(graph, mm->outputs[0]);
    if (!add || add->op_type != "Add" || add->inputs.size() != 2) continue;
    const int64_t n = b->constant->dims()[1];
    Value* bias = row_bias(*add, mm->outputs[0], n, a->shape.rank());
    if (!bias) continue;
    const bool gemm = a->shape.rank() == 2;
    if (!gemm) {
      Node candidate;
      candidate.op_type = "MatMul";
      candidate.inputs = {a, b, bias};
      if (ctx.backend_supports && !ctx.backend_supports(candidate)) continue;
    }
    std::string label = mm->describe() + " + " + add->describe();
    Value* out = add->outputs[0];
    std::string name = mm->name;
    graph.remove_node(add);
    graph.remove_node(mm);
    if (gemm) {
      graph.add_node("Gemm", name, {a, b, bias}, {out});
    } else {
      if (bias->constant->rank() != 1) {
        bias = graph.add_constant(graph.unique_name(bias->name + "_row"),
                                  bias->constant->reshaped({n}));
      }
      graph.add_node("MatMul", name, {a, b, bias}, {out});
    }
    ctx.note(this->name(), "fused " + label + (gemm ? " into Gemm" : " into MatMul with a bias"));
    changed = true;
  }
  if (changed) graph.remove_unused_values();
  return changed;
}

}  // namespace lowp

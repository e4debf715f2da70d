#include "passes/matmul_add_fusion.h"

#include "passes/graph_queries.h"

namespace lowp {
namespace {

bool is_f32(const Value* v) { return v && v->dtype == DataType::kF32; }

// The bias operand of `add` when the other one is `product`, if it fits Gemm's C.
Value* gemm_bias(const Node& add, const Value* product, int64_t n) {
  for (size_t i = 0; i < 2; ++i) {
    if (add.input(i) != product) continue;
    Value* c = add.input(1 - i);
    if (!c || !c->constant || c->dtype != DataType::kF32) return nullptr;
    const Dims& d = c->constant->dims();
    bool row = (d.size() == 1 && d[0] == n) || (d.size() == 2 && d[0] == 1 && d[1] == n);
    return row ? c : nullptr;
  }
  return nullptr;
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
    if (!is_f32(a) || !a->shape.has_rank() || a->shape.rank() != 2) continue;
    if (!b || !b->constant || b->dtype != DataType::kF32 || b->constant->rank() != 2) continue;
    Node* add = sole_consumer(graph, mm->outputs[0]);
    if (!add || add->op_type != "Add" || add->inputs.size() != 2) continue;
    Value* bias = gemm_bias(*add, mm->outputs[0], b->constant->dims()[1]);
    if (!bias) continue;
    std::string label = mm->describe() + " + " + add->describe();
    Value* out = add->outputs[0];
    std::string name = mm->name;
    graph.remove_node(add);
    graph.remove_node(mm);
    graph.add_node("Gemm", name, {a, b, bias}, {out});
    ctx.note(this->name(), "fused " + label + " into Gemm");
    changed = true;
  }
  if (changed) graph.remove_unused_values();
  return changed;
}

}  // namespace lowp

#include "passes/qdq_folding.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "lowp/op_schema.h"
#include "passes/graph_queries.h"
#include "passes/quant_params.h"
#include "passes/quant_rewrite.h"

namespace lowp {
namespace {

bool is_q8(DataType t) { return t == DataType::kS8 || t == DataType::kU8; }

// QuantParams of a QuantizeLinear / DequantizeLinear with constant scale and zero point.
std::optional<QuantParams> node_params(const Node& n) {
  const Value* scale = n.input(1);
  const Value* zero = n.input(2);
  if (!scale || !scale->constant || (zero && !zero->constant)) return std::nullopt;
  QuantParams p;
  p.scales = scale->constant->to_float();
  if (zero) {
    for (int64_t z : zero->constant->to_int64()) p.zero_points.push_back(static_cast<int32_t>(z));
  } else {
    p.zero_points.assign(p.scales.size(), 0);
  }
  p.storage = n.op_type == "QuantizeLinear" ? n.outputs[0]->dtype : n.input(0)->dtype;
  if (p.storage == DataType::kS32 && n.op_type == "DequantizeLinear") {
    // s32 bias
  } else if (!is_q8(p.storage)) {
    return std::nullopt;
  }
  if (p.scales.size() > 1) {
    const Value* x = n.input(0);
    const int64_t rank = x->shape.has_rank() ? static_cast<int64_t>(x->shape.rank()) : -1;
    int64_t axis = n.attr_int("axis", 1);
    if (axis < 0) axis += rank;
    if (rank < 0 || axis < 0 || axis >= rank) return std::nullopt;
    p.axis = static_cast<int>(axis);
  }
  return p;
}

// The quantized value a DequantizeLinear output `v` was made from, when its params match.
Value* dequantized_source(Value* v) {
  const Node* dq = v ? v->producer : nullptr;
  if (!dq || dq->op_type != "DequantizeLinear") return nullptr;
  Value* q = dq->inputs[0];
  auto p = node_params(*dq);
  if (q->constant || !q->quant || !p || *p != *q->quant) return nullptr;
  return q;
}

// A constant operand (weight or bias) as the int8 contract wants it, or nullptr when it is neither
// a DequantizeLinear of a constant of `want` dtype nor an f32 constant.
struct ConstantOperand {
  Value* quantized = nullptr;  // DQ'd integer constant
  Value* real = nullptr;       // f32 constant
};
std::optional<ConstantOperand> constant_operand(Value* v, DataType want) {
  if (!v) return ConstantOperand{};
  if (v->constant && v->constant->dtype() == DataType::kF32) return ConstantOperand{nullptr, v};
  const Node* dq = v->producer;
  if (!dq || dq->op_type != "DequantizeLinear" || !dq->inputs[0]->constant) return std::nullopt;
  auto p = node_params(*dq);
  if (!p || dq->inputs[0]->dtype != want) return std::nullopt;
  dq->inputs[0]->quant = *p;
  return ConstantOperand{dq->inputs[0], nullptr};
}

// s8 params for an f32 weight that a folded DequantizeLinear produced: per output channel
// (max|w_c| / 127), unless one per-tensor scale represents every value exactly (a per-tensor
// quantized weight whose channels do not all reach 127), which is then used for every channel.
QuantParams requantized_weight_params(const Tensor& w, int axis) {
  QuantParams p = weight_quant_params(w, axis);
  const std::vector<float> real = w.to_float();
  float amax = 0.f;
  for (float v : real) amax = std::max(amax, std::fabs(v));
  const float s = amax > 0.f ? amax / 127.f : 1.f;
  for (float v : real) {
    const float q = v / s;
    if (std::fabs(q - std::nearbyint(q)) > 1e-3f) return p;  // not per-tensor: keep per channel
  }
  std::fill(p.scales.begin(), p.scales.end(), s);
  return p;
}

struct Match {
  Node* relu = nullptr;      // fused into the op
  Node* quantize = nullptr;  // absorbed: the op writes its output
};

// The QuantizeLinear (through an optional Relu for Conv / Gemm) that is the sole reader of n.
std::optional<Match> output_quantize(const Graph& g, Node& n) {
  Match m;
  Node* next = sole_consumer(g, n.outputs[0]);
  if (next && next->op_type == "Relu" && (n.op_type == "Conv" || n.op_type == "Gemm") &&
      !n.activation.present()) {
    m.relu = next;
    next = sole_consumer(g, next->outputs[0]);
  }
  if (!next || next->op_type != "QuantizeLinear" || !next->outputs[0]->quant) return std::nullopt;
  m.quantize = next;
  return m;
}

bool fold(Graph& g, Node& n) {
  const OpSchema* op = find_int8_schema(n.op_type);  // foldable ops: those with an int8 role
  if (!op) return false;
  const bool pass_through = op->int8 == Int8Role::kPassThrough;
  std::vector<std::pair<Value*, Value*>> sources;  // DQ output -> quantized value
  for (size_t i : input_indices(op->int8_activation_inputs)) {
    Value* in = n.input(i);
    if (!in) continue;
    Value* q = dequantized_source(in);
    if (!q) return false;
    sources.emplace_back(in, q);
  }
  if (sources.empty()) return false;
  std::optional<Match> match = output_quantize(g, n);
  const bool f32_out = !match && n.op_type == "Gemm";
  if (!match && !f32_out) return false;
  if (pass_through && *match->quantize->outputs[0]->quant != *sources[0].second->quant) {
    return false;
  }
  std::optional<ConstantOperand> w, b;
  if (n.op_type == "Conv" || n.op_type == "Gemm") {
    w = constant_operand(n.input(1), DataType::kS8);
    b = constant_operand(n.input(2), DataType::kS32);
    if (!w || (!w->quantized && !w->real) || !b) return false;
    if (n.op_type == "Gemm" && (n.attr_int("transA", 0) != 0 || n.attr_float("alpha", 1.f) != 1.f ||
                                n.attr_float("beta", 1.f) != 1.f)) {
      return false;
    }
  }
  // Rewrite.
  for (auto& [in, q] : sources) replace_input(n, in, q);
  if (w) {
    const int axis = n.op_type == "Conv" || n.attr_int("transB", 0) != 0 ? 0 : 1;
    Value* wq = w->quantized
                    ? w->quantized
                    : add_quantized_constant(g, *w->real,
                                             requantized_weight_params(*w->real->constant, axis));
    replace_input(n, n.input(1), wq);
    if (Value* bias = n.input(2); bias && !b->quantized) {
      const float sx = n.input(0)->quant->scales[0];
      QuantParams bq;
      bq.storage = DataType::kS32;
      bq.axis = static_cast<int>(b->real->constant->rank()) - 1;
      for (float s : wq->quant->scales) {
        bq.scales.push_back(sx * s);
        bq.zero_points.push_back(0);
      }
      if (bq.scales.size() == 1 && b->real->constant->dims().back() > 1) {
        bq.scales.resize(static_cast<size_t>(b->real->constant->dims().back()), bq.scales[0]);
        bq.zero_points.resize(bq.scales.size(), 0);
      }
      replace_input(n, bias, add_quantized_constant(g, *b->real, bq));
    } else if (bias) {
      replace_input(n, bias, b->quantized);
    }
  }
  if (f32_out) {
    n.attributes["_out_dtype"] = static_cast<int64_t>(DataType::kF32);
    return true;
  }
  Value* out = match->quantize->outputs[0];
  if (match->relu) n.activation = FusedActivation::of(ActivationKind::kRelu);
  g.remove_node(match->quantize);
  if (match->relu) g.remove_node(match->relu);
  n.outputs[0]->producer = nullptr;
  n.outputs[0] = out;
  out->producer = &n;
  if (!pass_through) n.attributes["_out_dtype"] = static_cast<int64_t>(out->quant->storage);
  return true;
}

// Removes QuantizeLinear / DequantizeLinear nodes nothing reads any more.
int remove_dead_qdq(Graph& g) {
  int removed = 0;
  for (bool again = true; again;) {
    again = false;
    for (const auto& n : g.nodes()) {
      if (n->op_type != "QuantizeLinear" && n->op_type != "DequantizeLinear") continue;
      if (!n->outputs[0]->consumers.empty() || is_graph_output(g, n->outputs[0])) continue;
      g.remove_node(n.get());
      ++removed;
      again = true;
      break;
    }
  }
  return removed;
}

}  // namespace

bool QdqFoldingPass::run(Graph& graph, PassContext& ctx) const {
  graph.topological_sort();
  for (const auto& n : graph.nodes()) {
    if (n->op_type == "DequantizeLinear" && !n->inputs[0]->constant && !n->inputs[0]->quant) {
      if (auto p = node_params(*n)) n->inputs[0]->quant = *p;
    } else if (n->op_type == "QuantizeLinear") {
      if (auto p = node_params(*n)) n->outputs[0]->quant = *p;
    }
  }
  int folded = 0;
  std::vector<Node*> order;
  for (const auto& n : graph.nodes()) order.push_back(n.get());
  for (Node* n : order) {
    bool alive = false;
    for (const auto& m : graph.nodes()) alive = alive || m.get() == n;
    if (alive && fold(graph, *n)) ++folded;
  }
  if (folded == 0) return false;
  const int removed = remove_dead_qdq(graph);
  graph.topological_sort();
  graph.remove_unused_values();
  ctx.note(name(), "folded " + std::to_string(folded) + " ops into int8 form; removed " +
                       std::to_string(removed) + " QuantizeLinear / DequantizeLinear nodes");
  return true;
}

}  // namespace lowp

#include "passes/int8_quantization.h"

#include <algorithm>
#include <set>

#include "lowp/op_schema.h"
#include "passes/graph_queries.h"
#include "passes/quant_rewrite.h"

namespace lowp {
namespace {

bool is_f32_constant(const Value* v) {
  return v && v->constant && v->constant->dtype() == DataType::kF32;
}

// Constant operands and attributes the int8 form supports.
bool structurally_quantizable(const Node& n) {
  const ActivationKind act = n.activation.kind;
  if (act != ActivationKind::kNone && act != ActivationKind::kRelu && act != ActivationKind::kClip)
    return false;
  if (n.op_type == "Conv") {
    return is_f32_constant(n.input(1)) && (!n.input(2) || is_f32_constant(n.input(2)));
  }
  if (n.op_type == "Gemm") {
    const Value* c = n.input(2);
    const bool c_ok = !c || (is_f32_constant(c) && c->constant->rank() >= 1 &&
                             element_count(c->constant->dims()) == c->constant->dims().back());
    return is_f32_constant(n.input(1)) && c_ok && n.attr_int("transA", 0) == 0 &&
           n.attr_float("alpha", 1.f) == 1.f && n.attr_float("beta", 1.f) == 1.f;
  }
  if (n.op_type == "MaxPool") return n.outputs.size() == 1;
  if (n.op_type == "Add") return !n.input(0)->constant && !n.input(1)->constant;
  return true;
}

struct Plan {
  std::vector<Node*> nodes;                    // int8 nodes, in order
  std::map<const Value*, QuantParams> params;  // every activation with known params
  std::set<const Value*> int8_outputs;         // produced in int8 by a planned node
  std::set<const Node*> f32_output;            // Gemms writing f32
  bool planned(const Node* n) const {
    return std::find(nodes.begin(), nodes.end(), n) != nodes.end();
  }
};

}  // namespace

Int8QuantizationPass::Int8QuantizationPass(std::map<std::string, TensorRange> ranges,
                                           std::vector<std::string> keep_fp32, bool symmetric)
    : ranges_(std::move(ranges)), keep_fp32_(std::move(keep_fp32)), symmetric_(symmetric) {}

bool Int8QuantizationPass::run(Graph& graph, PassContext& ctx) const {
  graph.topological_sort();
  Plan plan;
  auto known_params = [&](const Value* v) -> const QuantParams* {
    if (auto it = plan.params.find(v); it != plan.params.end()) return &it->second;
    if (v->dtype != DataType::kF32) return nullptr;
    auto r = ranges_.find(v->name);
    if (r == ranges_.end()) return nullptr;
    // A symmetric quantization needs a symmetric range (also when given an asymmetric one).
    const TensorRange range =
        symmetric_ ? make_tensor_range(r->second.min, r->second.max, true) : r->second;
    return &(plan.params[v] = activation_quant_params(range, symmetric_));
  };
  auto kept = [&](const Node& n) {
    const auto& k = keep_fp32_;
    return std::find(k.begin(), k.end(), n.name) != k.end() ||
           std::find(k.begin(), k.end(), n.op_type) != k.end();
  };

  // 1. Which nodes run in int8.
  for (const auto& node : graph.nodes()) {
    Node* n = node.get();
    const OpSchema* op = find_int8_schema(n->op_type);  // which ops run in int8, and how
    if (!op || kept(*n) || !structurally_quantizable(*n)) continue;
    Value* out = n->outputs.at(0);
    bool ok = out->dtype == DataType::kF32;
    for (size_t i : input_indices(op->int8_activation_inputs)) {
      const Value* in = n->input(i);
      if (!in) continue;
      ok = ok && (op->int8 == Int8Role::kPassThrough ? plan.int8_outputs.count(in) != 0
                                                     : known_params(in) != nullptr);
    }
    if (!ok) continue;
    if (op->int8 == Int8Role::kPassThrough) {
      plan.params[out] = plan.params.at(n->input(0));
    } else if (!known_params(out)) {
      if (n->op_type != "Gemm") continue;
      plan.f32_output.insert(n);  // no range: dequantized logits
    }
    plan.nodes.push_back(n);
    if (!plan.f32_output.count(n)) plan.int8_outputs.insert(out);
  }
  if (plan.nodes.empty()) return false;

  // 2. Gemms feeding no int8 node write f32.
  for (Node* n : plan.nodes) {
    Value* out = n->outputs[0];
    if (n->op_type != "Gemm" || !plan.int8_outputs.count(out)) continue;
    if (std::none_of(out->consumers.begin(), out->consumers.end(),
                     [&](const Node* c) { return plan.planned(c); })) {
      plan.f32_output.insert(n);
      plan.int8_outputs.erase(out);
    }
  }

  // 3. Rewrite.
  int quantize_nodes = 0;
  int dequantize_nodes = 0;
  std::map<Value*, Value*> quantized_inputs;  // f32 value -> its shared QuantizeLinear output
  for (Node* n : plan.nodes) {
    const OpSchema& op = *find_int8_schema(n->op_type);
    // Activation inputs: int8 values are re-pointed below (with their producer); f32 ones get Q.
    for (size_t i : input_indices(op.int8_activation_inputs)) {
      Value* in = n->input(i);
      if (!in || in->quant || plan.int8_outputs.count(in)) continue;  // int8 already
      Value*& q = quantized_inputs[in];
      if (!q) {
        q = add_quantize(graph, in, plan.params.at(in));
        ++quantize_nodes;
      }
      replace_input(*n, in, q);
    }
    // Weights and bias.
    if (n->op_type == "Conv" || n->op_type == "Gemm") {
      Value* w = n->input(1);
      const int axis = n->op_type == "Conv" || n->attr_int("transB", 0) != 0 ? 0 : 1;
      QuantParams wq = weight_quant_params(*w->constant, axis, w->name);
      const QuantParams& xq = *n->input(0)->quant;  // already re-pointed to the int8 input
      if (const Value* b = n->input(2))
        widen_weight_scales_for_bias(wq, *b->constant, xq.scales[0]);
      replace_input(*n, w, add_quantized_constant(graph, *w, wq));
      if (Value* b = n->input(2)) {
        QuantParams bq;
        bq.storage = DataType::kS32;
        bq.axis = static_cast<int>(b->constant->rank()) - 1;
        for (float s : wq.scales) {
          bq.scales.push_back(xq.scales[0] * s);
          bq.zero_points.push_back(0);
        }
        replace_input(*n, b, add_quantized_constant(graph, *b, bq));
      }
    }
    Value* out = n->outputs[0];
    if (op.int8 == Int8Role::kCompute) {
      const QuantParams* p = plan.f32_output.count(n) ? nullptr : &plan.params.at(out);
      n->attributes["_out_dtype"] = static_cast<int64_t>(p ? p->storage : DataType::kF32);
    }
    if (!plan.int8_outputs.count(out)) continue;
    // The int8 output: a new Value; int8 consumers read it, the rest keep the f32 original.
    const QuantParams& p = plan.params.at(out);
    Value* q = graph.add_value(graph.unique_name(out->name + "_int8"), p.storage, out->shape);
    q->quant = p;
    n->outputs[0] = q;
    q->producer = n;
    out->producer = nullptr;
    for (Node* c : std::vector<Node*>(out->consumers)) {
      if (plan.planned(c)) replace_input(*c, out, q);
    }
    if (!out->consumers.empty() || is_graph_output(graph, out)) {
      add_dequantize(graph, q, out);
      ++dequantize_nodes;
    }
  }
  graph.topological_sort();
  graph.remove_unused_values();
  ctx.note(name(), std::to_string(plan.nodes.size()) + " nodes run in int8; " +
                       std::to_string(quantize_nodes) + " QuantizeLinear and " +
                       std::to_string(dequantize_nodes) + " DequantizeLinear added");
  return true;
}

}  // namespace lowp

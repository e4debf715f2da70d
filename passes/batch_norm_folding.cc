#include "passes/batch_norm_folding.h"

#include <cmath>

#include "passes/graph_queries.h"

namespace lowp {
namespace {

bool is_f32_constant(const Value* v) {
  return v && v->constant && v->constant->dtype() == DataType::kF32;
}

bool can_fold(const Graph& g, const Node& conv, const Node& bn) {
  if (conv.activation.present() || conv.inputs.size() > 3) return false;
  if (!is_f32_constant(conv.input(1)) || (conv.input(2) && !is_f32_constant(conv.input(2))))
    return false;
  if (bn.input(0) != conv.outputs[0]) return false;
  int64_t channels = conv.input(1)->constant->dims().at(0);
  for (int i = 1; i <= 4; ++i) {
    const Value* p = bn.input(static_cast<size_t>(i));
    if (!is_f32_constant(p) || p->constant->numel() != channels) return false;
  }
  return true;
}

}  // namespace

bool BatchNormFoldingPass::run(Graph& graph, PassContext& ctx) const {
  bool changed = false;
  std::vector<Node*> convs;
  for (const auto& n : graph.nodes()) {
    if (n->op_type == "Conv") convs.push_back(n.get());
  }
  for (Node* conv : convs) {
    Node* bn = sole_consumer(graph, conv->outputs[0]);
    if (!bn || bn->op_type != "BatchNormalization" || !can_fold(graph, *conv, *bn)) continue;
    const Tensor& w = *conv->input(1)->constant;
    int64_t channels = w.dims()[0];
    int64_t per_channel = w.numel() / channels;
    auto gamma = bn->input(1)->constant->to_float();
    auto beta = bn->input(2)->constant->to_float();
    auto mean = bn->input(3)->constant->to_float();
    auto var = bn->input(4)->constant->to_float();
    float eps = bn->attr_float("epsilon", 1e-5f);
    Tensor new_w = w.clone();
    Tensor new_b(DataType::kF32, {channels});
    std::vector<float> old_b(static_cast<size_t>(channels), 0.f);
    if (conv->input(2)) old_b = conv->input(2)->constant->to_float();
    for (int64_t c = 0; c < channels; ++c) {
      float s = gamma[c] / std::sqrt(var[c] + eps);
      float* wc = new_w.data<float>() + c * per_channel;
      for (int64_t i = 0; i < per_channel; ++i) wc[i] *= s;
      new_b.data<float>()[c] = (old_b[c] - mean[c]) * s + beta[c];
    }
    Value* wv = graph.add_constant(graph.unique_name(conv->name + "_w_bn"), std::move(new_w));
    Value* bv = graph.add_constant(graph.unique_name(conv->name + "_b_bn"), std::move(new_b));
    std::string label = bn->describe();
    absorb_consumer(graph, conv, bn);
    for (size_t i = 1; i <= 2; ++i) {
      if (conv->inputs.size() <= i) conv->inputs.resize(i + 1, nullptr);
      Value* old = conv->inputs[i];
      if (old) {
        auto& c = old->consumers;
        c.erase(std::find(c.begin(), c.end(), conv));
      }
      conv->inputs[i] = i == 1 ? wv : bv;
      conv->inputs[i]->consumers.push_back(conv);
    }
    ctx.note(name(), "folded " + label + " into " + conv->describe());
    changed = true;
  }
  if (changed) graph.remove_unused_values();
  return changed;
}

}  // namespace lowp

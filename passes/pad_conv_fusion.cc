#include "passes/pad_conv_fusion.h"

#include <optional>

#include "core/ops/nn_geometry.h"
#include "passes/graph_queries.h"
#include "passes/quant_rewrite.h"

namespace lowp {
namespace {

bool zero_fill(const Value* fill) {
  if (!fill) return true;
  if (!fill->constant) return false;
  if (fill->constant->numel() == 0) return true;
  const std::optional<float> v = scalar_constant(fill);
  return v && *v == 0.f;
}

// The Pad's amounts on the spatial axes (begin..., end...) in the Conv's `pads` order, when the
// Pad can move into the Conv; nullopt otherwise.
std::optional<Dims> spatial_pads(const Node& pad) {
  const Value* x = pad.input(0);
  const Value* amounts = pad.input(1);
  const Value* axes = pad.input(3);
  if (pad.attr_string("mode", "constant") != "constant" || !zero_fill(pad.input(2))) return {};
  if (!x || !x->shape.has_rank() || x->shape.rank() < 3 || !amounts || !amounts->constant)
    return {};
  if (axes && !axes->constant) return {};
  Dims in;
  for (const Dim& d : x->shape.dims()) in.push_back(d.size);  // -1 where unknown
  const nn::PadAmounts p =
      nn::pad_amounts(pad, in, *amounts->constant, axes ? axes->constant.get() : nullptr);
  if (p.begin[0] != 0 || p.end[0] != 0 || p.begin[1] != 0 || p.end[1] != 0) return {};
  const size_t spatial = in.size() - 2;
  Dims out(2 * spatial);
  for (size_t i = 0; i < spatial; ++i) {
    if (p.begin[i + 2] < 0 || p.end[i + 2] < 0) return {};
    out[i] = p.begin[i + 2];
    out[i + spatial] = p.end[i + 2];
  }
  return out;
}

}  // namespace

bool PadConvFusionPass::run(Graph& graph, PassContext& ctx) const {
  std::vector<Node*> convs;
  for (const auto& n : graph.nodes()) {
    if (n->op_type == "Conv") convs.push_back(n.get());
  }
  bool changed = false;
  for (Node* conv : convs) {
    Node* pad = sole_use_producer(graph, conv->input(0), "Pad");
    if (!pad || conv->input(1) == conv->input(0) || conv->input(2) == conv->input(0)) continue;
    if (conv->attr_string("auto_pad", "NOTSET") != "NOTSET") continue;
    const std::optional<Dims> extra = spatial_pads(*pad);
    if (!extra) continue;
    Dims pads = conv->attr_ints("pads", Dims(extra->size(), 0));
    if (pads.size() != extra->size()) continue;
    for (size_t i = 0; i < pads.size(); ++i) pads[i] += (*extra)[i];
    Node candidate = *conv;
    candidate.inputs[0] = pad->inputs[0];
    candidate.attributes["pads"] = pads;
    if (ctx.backend_supports && !ctx.backend_supports(candidate)) continue;
    conv->attributes["pads"] = pads;
    const std::string label = pad->describe();
    Value* padded = conv->inputs[0];
    replace_input(*conv, padded, pad->inputs[0]);
    graph.remove_node(pad);
    ctx.note(name(), "moved " + label + " into " + conv->describe() + "'s pads");
    changed = true;
  }
  if (changed) graph.remove_unused_values();
  return changed;
}

}  // namespace lowp

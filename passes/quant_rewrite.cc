#include "passes/quant_rewrite.h"

#include <algorithm>

#include "lowp/error.h"
#include "reference/quantized_compute.h"

namespace lowp {
namespace {

// Scale and zero-point constants of a QuantizeLinear / DequantizeLinear for `params`: scalars per
// tensor, 1-D along the axis otherwise.
std::pair<Value*, Value*> param_constants(Graph& graph, const std::string& base,
                                          const QuantParams& params) {
  const bool per_axis = params.axis >= 0 && params.scales.size() > 1;
  const Dims dims = per_axis ? Dims{static_cast<int64_t>(params.scales.size())} : Dims{};
  Tensor scale(DataType::kF32, dims);
  Tensor zero(params.storage, dims);
  for (size_t i = 0; i < params.scales.size() && (per_axis || i == 0); ++i) {
    scale.data<float>()[i] = params.scales[i];
    const int32_t zp = i < params.zero_points.size() ? params.zero_points[i] : 0;
    if (params.storage == DataType::kU8) {
      zero.data<uint8_t>()[i] = static_cast<uint8_t>(zp);
    } else {
      zero.data<int8_t>()[i] = static_cast<int8_t>(zp);
    }
  }
  Value* s = graph.add_constant(graph.unique_name(base + "_scale"), std::move(scale));
  Value* z = graph.add_constant(graph.unique_name(base + "_zero_point"), std::move(zero));
  return {s, z};
}

}  // namespace

void replace_input(Node& node, Value* from, Value* to) {
  for (Value*& in : node.inputs) {
    if (in != from) continue;
    in = to;
    to->consumers.push_back(&node);
  }
  std::erase(from->consumers, &node);
}

Value* add_quantized_constant(Graph& graph, const Value& real, const QuantParams& params) {
  if (!real.constant) {
    throw_error(ErrorCode::kInternal, "value '" + real.name + "' is not a constant");
  }
  const char* suffix = params.storage == DataType::kS32 ? "_s32" : "_s8";
  Tensor q(params.storage, real.constant->dims());
  reference::quantize_tensor(*real.constant, reference::axis_params(params), q);
  Value* v = graph.add_constant(graph.unique_name(real.name + suffix), std::move(q));
  v->quant = params;
  return v;
}

Value* add_quantize(Graph& graph, Value* real, const QuantParams& params) {
  auto [scale, zero] = param_constants(graph, real->name, params);
  Value* q =
      graph.add_value(graph.unique_name(real->name + "_quantized"), params.storage, real->shape);
  q->quant = params;
  Node* n = graph.add_node("QuantizeLinear", graph.unique_name(real->name + "_QuantizeLinear"),
                           {real, scale, zero}, {q});
  if (params.axis >= 0) n->attributes["axis"] = static_cast<int64_t>(params.axis);
  return q;
}

Node* add_dequantize(Graph& graph, Value* q, Value* real) {
  if (!q->quant) throw_error(ErrorCode::kInternal, "value '" + q->name + "' has no QuantParams");
  const QuantParams params = *q->quant;
  auto [scale, zero] = param_constants(graph, q->name, params);
  Node* n = graph.add_node("DequantizeLinear", graph.unique_name(real->name + "_DequantizeLinear"),
                           {q, scale, zero}, {real});
  if (params.axis >= 0) n->attributes["axis"] = static_cast<int64_t>(params.axis);
  return n;
}

}  // namespace lowp

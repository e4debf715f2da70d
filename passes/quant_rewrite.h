// Graph edits shared by the int8 passes (int8_quantization, qdq_folding): re-pointing one node's
// input, adding QuantizeLinear / DequantizeLinear nodes for a QuantParams, and quantized copies of
// constants.
#pragma once

#include "lowp/graph.h"

namespace lowp {

// Points every input of `node` that reads `from` at `to`, keeping consumer lists right.
void replace_input(Node& node, Value* from, Value* to);

// A new constant Value holding `real` (f32 constant) quantized with `params` into params.storage
// (s8, u8 or s32), with `quant` set.
Value* add_quantized_constant(Graph& graph, const Value& real, const QuantParams& params);

// Adds QuantizeLinear(real) -> a new s8/u8 Value named after `real`, carrying `params`.
Value* add_quantize(Graph& graph, Value* real, const QuantParams& params);

// Adds DequantizeLinear(q) -> real, using q->quant (which must be set).
Node* add_dequantize(Graph& graph, Value* q, Value* real);

}  // namespace lowp

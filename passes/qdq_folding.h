// QDQ folding: turns a QDQ-format model (ONNX Runtime's quantize_static output: every quantized
// tensor written as QuantizeLinear -> DequantizeLinear, weights as DequantizeLinear of int8
// initializers or, once constant folding ran, as their f32 values) into the int8 IR contract.
//
// Algorithm:
//  1. Every activation read by a DequantizeLinear with constant scale / zero point, and every
//     QuantizeLinear output, gets QuantParams from those constants.
//  2. For each foldable op (Conv, Gemm, MaxPool, AveragePool, GlobalAveragePool, Add, Flatten,
//     Reshape) whose activation inputs all come from DequantizeLinear nodes of quantized values
//     and whose output's only consumer is a QuantizeLinear (optionally through a Relu, which is
//     fused into Conv / Gemm as Node::activation): the op reads the quantized values directly and
//     writes the QuantizeLinear's output (`_out_dtype` set). A Gemm with no QuantizeLinear after
//     it writes f32 (dequantized logits).
//  3. Weights: a DequantizeLinear of an s8 constant is used as is (its params become the weight's
//     QuantParams); an f32 constant is re-quantized to s8 symmetric per output channel (exact for
//     ORT's symmetric weights). Bias: f32 (or DQ'd s32) becomes s32 at input_scale * weight_scale.
//  4. DequantizeLinear / QuantizeLinear nodes left without consumers are removed.
// Q -> DQ pairs around ops that stay fp32 remain and run as such (correct, slower).
#pragma once

#include "passes/pass.h"

namespace lowp {

class QdqFoldingPass : public Pass {
 public:
  const char* name() const override { return "qdq-folding"; }
  bool run(Graph& graph, PassContext& ctx) const override;
};

}  // namespace lowp

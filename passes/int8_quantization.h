// Int8 post-training quantization of an optimised fp32 graph into the int8 IR contract
// (docs/DESIGN.md, "Quantized tensors"): quantized values are s8/u8 with QuantParams, weights s8
// symmetric per output channel, biases s32 at scale input_scale * weight_scale[c].
//
// Algorithm (nodes in topological order, after BN folding and Conv+Add+Relu fusion):
//  1. Decide which nodes run in int8. A node qualifies when its op is in the quantizable-op table
//     (int8_quantization.cc), it is not kept in fp32 by name or op type, its constant operands
//     are f32, its fused activation is Relu or Clip, and every activation input either is already
//     int8 (made by an earlier int8 node) or has a calibrated range; compute ops (Conv, Gemm,
//     pools, Add) also need their output's range. Pass-through ops (MaxPool, Flatten, Reshape)
//     qualify only when their input is already int8, and reuse its params.
//  2. A Gemm whose output feeds no int8 node writes f32 directly (dequantized logits).
//  3. Rewrite: weights -> s8 per channel, bias -> s32; each int8 node's output becomes a new s8/u8
//     Value with QuantParams (`_out_dtype` set on compute ops) that int8 consumers read directly,
//     so consecutive int8 ops exchange u8 tensors with no Dequantize-Quantize pair between them.
//     The original f32 Value keeps its name and, when fp32 nodes or the graph outputs still read
//     it, is produced by a DequantizeLinear. fp32 values entering the int8 region get one shared
//     QuantizeLinear each.
// Ranges are keyed by value name (the calibrator's TensorRange); `symmetric` chooses s8 with zero
// point 0 for activations instead of asymmetric u8.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "passes/pass.h"
#include "passes/quant_params.h"

namespace lowp {

class Int8QuantizationPass : public Pass {
 public:
  // `keep_fp32` lists node names or op types that stay in fp32.
  Int8QuantizationPass(std::map<std::string, TensorRange> ranges,
                       std::vector<std::string> keep_fp32 = {}, bool symmetric = false);
  const char* name() const override { return "int8-quantization"; }
  bool run(Graph& graph, PassContext& ctx) const override;

 private:
  std::map<std::string, TensorRange> ranges_;
  std::vector<std::string> keep_fp32_;
  bool symmetric_;
};

}  // namespace lowp

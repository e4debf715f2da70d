// lowp IR -> ONNX. Writes a Graph (as imported, or a compiled plan's graph in fp32, fp16 or int8)
// as an ONNX ModelProto (ir_version 8, default-domain opset 13) that ONNX Runtime runs:
//  - fused forms are unfused: Conv / Gemm / MatMul's fused activation becomes an activation node
//    after the op, a Conv residual (input 3) or MatMul bias (input 2) an Add before it; Gelu
//    (opset 20) is written as Div, Erf, Add, Mul (or its tanh form); internal attributes (leading
//    '_') are not written;
//    Cast's `to` goes back to ONNX's integer; opset < 13 Softmax (`_coerce_2d`) becomes
//    Flatten -> Softmax -> Reshape.
//  - int8 (DESIGN.md "Precision in the IR") in QDQ form: every quantized Value is an integer tensor
//    with its own name, read by the float ops through DequantizeLinear (scale, zero point, axis);
//    a quantized output is written by QuantizeLinear after the float op. Quantized weights and
//    biases stay integer initializers behind a DequantizeLinear, so ONNX Runtime can fuse them into
//    its integer kernels (QLinearConv, ...). Flatten / Reshape keeping their input's params read
//    and write the integer tensor directly.
//  - symbolic dims (batch "N") become dim_param in the graph inputs and outputs.
// Errors are lowp::Error naming the node (or the file).
#pragma once

#include <cstdint>
#include <string>

#include "lowp/graph.h"

namespace lowp::onnx_frontend {

struct ExportStats {
  int64_t nodes = 0;              // ONNX nodes written
  int64_t quantize_nodes = 0;     // QuantizeLinear among them
  int64_t dequantize_nodes = 0;   // DequantizeLinear among them
  int64_t initializers = 0;       // initializers written
  int64_t initializer_bytes = 0;  // their payload
};

inline constexpr int64_t kExportOpset = 13;
inline constexpr int64_t kExportIrVersion = 8;

// The serialized ModelProto. `stats` (optional) receives counts of what was written.
std::string export_onnx(const Graph& graph, ExportStats* stats = nullptr);
// Same, written to `path` (errors name the file).
void export_onnx_file(const Graph& graph, const std::string& path, ExportStats* stats = nullptr);

}  // namespace lowp::onnx_frontend

// Internal to the op schemas: the int8 IR contract's dtype rules (docs/DESIGN.md, "Quantized
// tensors"). A compute op (Conv, Gemm, pools, Add) whose activation input is s8/u8 is a quantized
// op: its output dtype is the node's `_out_dtype` attribute (a lowp DataType value, set by the
// quantization passes) or, without it, `fallback`.
#pragma once

#include <vector>

#include "lowp/graph.h"
#include "lowp/op_schema.h"

namespace lowp {

inline bool is_quantized_storage_type(DataType t) {
  return t == DataType::kS8 || t == DataType::kU8;
}

// `_out_dtype` if present (checked to be f32, s8 or u8), else `fallback`.
DataType quantized_output_dtype(const Node& node, DataType fallback);

// Checks a quantized op's constant operand: weights s8 (or u8), bias s32. Throws naming the node.
void require_quantized_operand(const Node& node, const std::vector<TensorInfo>& in, size_t i,
                               bool is_bias);

}  // namespace lowp

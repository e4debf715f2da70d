// Helpers of the ONNX exporter (onnx_exporter.cc): element types, value infos, tensors, and the
// int8 form of a Value.
#pragma once

#include <onnx/onnx_pb.h>

#include <string>

#include "lowp/graph.h"
#include "lowp/tensor.h"

namespace lowp::onnx_frontend {

// s8 / u8 / s32: the storage types of int8 values and their biases.
bool is_integer_storage(DataType t);
// A Value in int8 form (DESIGN.md "Precision in the IR"): an integer tensor with QuantParams.
bool is_quantized(const Value* v);
bool per_axis(const QuantParams& q);
// ONNX's element type for `t`; kUnsupported naming `what` when ONNX has none.
int onnx_type(DataType t, const std::string& what);
// `t` as an initializer named `name` (raw data).
void fill_tensor(const Tensor& t, const std::string& name, onnx::TensorProto& p);
void fill_value_info(const Value& v, onnx::ValueInfoProto& info);
// A rank-0 tensor holding `value` in `dtype`.
Tensor scalar_tensor(DataType dtype, float value);

}  // namespace lowp::onnx_frontend

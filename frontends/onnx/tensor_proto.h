// TensorProto <-> lowp::Tensor, including external data confined to the model's folder.
#pragma once

#include <string>

#include "lowp/dtype.h"
#include "lowp/tensor.h"

namespace onnx {
class TensorProto;
}

namespace lowp::onnx_frontend {

// ONNX TensorProto_DataType -> lowp DataType; kUndefined when lowp has no such type.
DataType from_onnx_dtype(int onnx_type);
int to_onnx_dtype(DataType type);

// `base_dir` is the folder external data paths are relative to (and confined to); `context` is
// prefixed to error messages.
Tensor tensor_from_proto(const onnx::TensorProto& proto, const std::string& base_dir,
                         const std::string& context);

}  // namespace lowp::onnx_frontend

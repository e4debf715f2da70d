// ONNX -> lowp IR. Reads a ModelProto (Debian's libonnx-dev protobuf classes), checks the whole
// model first (every unsupported node listed in one message), then imports node by node through
// the per-op importers (op_importers.cc), normalising older opsets to the newest form, folding
// constant subgraphs and propagating shapes. External data files must lie inside the model's
// folder.
#pragma once

#include <memory>
#include <string>

#include "lowp/graph.h"

namespace onnx {
class ModelProto;
class TensorProto;
}  // namespace onnx

namespace lowp::onnx_frontend {

std::shared_ptr<Graph> import_file(const std::string& path);
// `label` names the model in errors; `base_dir` resolves external data.
std::shared_ptr<Graph> import_model(const onnx::ModelProto& model, const std::string& label,
                                    const std::string& base_dir);
// Reads a serialized TensorProto (.pb), as ONNX's node tests store inputs and outputs.
Tensor read_tensor_file(const std::string& path);

}  // namespace lowp::onnx_frontend

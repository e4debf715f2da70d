// Per-op importers: each turns one ONNX NodeProto into IR nodes in the newest normalised form
// (docs/DESIGN.md). Most ops import as they are; the table lists those that need rewriting.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "lowp/graph.h"

namespace lowp::onnx_frontend {

struct ImportContext {
  Graph& graph;
  int64_t opset;
  std::string label;  // model path, for errors
  std::string where;  // "<label>: node 'n' (Op, opset N)" of the node being imported
  Value* add_constant(const std::string& hint, Tensor tensor) {
    return graph.add_constant(graph.unique_name(hint), std::move(tensor));
  }
};

struct NodeImport {
  std::string name;
  std::string op_type;
  std::vector<Value*> inputs;  // nullptr for omitted optional inputs
  std::vector<Value*> outputs;
  std::map<std::string, Attribute> attributes;
};

// Adds `node` to ctx.graph, normalising it first. Throws lowp::Error naming the node on
// unsupported attribute values.
void import_node(ImportContext& ctx, NodeImport node);

// Whether an op type (default ONNX domain) can be imported at this opset.
bool is_importable(const std::string& op_type, int64_t opset);

inline constexpr int64_t kMinOpset = 1;
inline constexpr int64_t kMaxOpset = 21;

}  // namespace lowp::onnx_frontend

// The op schema table: assembled once from each op group's file, then read-only.
#include "lowp/op_schema.h"

#include <algorithm>
#include <map>

#include "core/ops/op_groups.h"
#include "lowp/error.h"

namespace lowp {
namespace {

const std::map<std::string, OpSchema>& schema_table() {
  static const std::map<std::string, OpSchema> table = [] {
    std::vector<OpSchema> all;
    append_nn_schemas(all);
    append_elementwise_schemas(all);
    append_tensor_schemas(all);
    append_quant_schemas(all);
    append_math_schemas(all);
    append_generator_schemas(all);
    std::map<std::string, OpSchema> by_type;
    for (const auto& s : all) by_type.emplace(s.op_type, s);
    return by_type;
  }();
  return table;
}

}  // namespace

const OpSchema* find_op_schema(const std::string& op_type) {
  const auto& table = schema_table();
  auto it = table.find(op_type);
  return it == table.end() ? nullptr : &it->second;
}

const OpSchema* find_int8_schema(const std::string& op_type) {
  const OpSchema* schema = find_op_schema(op_type);
  return schema && schema->int8 != Int8Role::kNone ? schema : nullptr;
}

std::vector<std::string> supported_op_types() {
  std::vector<std::string> out;
  for (const auto& [name, schema] : schema_table()) out.push_back(name);
  return out;
}

std::vector<TensorInfo> infer_node(const Node& node, const std::vector<TensorInfo>& inputs) {
  const OpSchema* schema = find_op_schema(node.op_type);
  if (!schema) throw_error(ErrorCode::kUnsupported, node.describe() + ": unsupported operator");
  int present = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].present) present = static_cast<int>(i) + 1;
  }
  if (present < schema->min_inputs || static_cast<int>(inputs.size()) > schema->max_inputs) {
    throw_error(ErrorCode::kInvalidModel, node.describe() + ": expects " +
                                              std::to_string(schema->min_inputs) + " to " +
                                              std::to_string(schema->max_inputs) + " inputs, got " +
                                              std::to_string(inputs.size()));
  }
  // The required inputs are the first min_inputs: none of them may be omitted ("").
  for (int i = 0; i < schema->min_inputs; ++i) {
    if (!inputs[static_cast<size_t>(i)].present)
      throw_error(ErrorCode::kInvalidModel,
                  node.describe() + ": required input " + std::to_string(i) + " is omitted");
  }
  // A fused activation the schema does not list (or a corrupt kind: its bit is 0).
  if (node.activation.present() &&
      !(schema->fusable_activations & activation_bit(node.activation.kind))) {
    const std::string kind = activation_op_type(node.activation.kind);
    throw_error(ErrorCode::kUnsupported, node.describe() + ": cannot carry a fused " +
                                             (kind.empty() ? "unknown" : kind) + " activation");
  }
  std::vector<TensorInfo> out = schema->infer(node, inputs);
  out.resize(node.outputs.size());
  // Hostile attributes (pads of 1e9, ...) must end here with a message, not in a huge allocation.
  for (const TensorInfo& info : out) {
    const std::string problem = dims_problem(info.dims);
    if (!problem.empty())
      throw_error(ErrorCode::kInvalidModel, node.describe() + ": inferred output " + problem);
  }
  return out;
}

double estimated_work(const Node& node, const std::vector<TensorInfo>& inputs,
                      const std::vector<TensorInfo>& outputs) {
  const OpSchema* schema = find_op_schema(node.op_type);
  if (schema && schema->work) return schema->work(node, inputs, outputs);
  double n = 0;
  for (const auto* list : {&inputs, &outputs}) {
    for (const TensorInfo& t : *list)
      n += t.present ? static_cast<double>(element_count(t.dims)) : 0;
  }
  return n;
}

}  // namespace lowp

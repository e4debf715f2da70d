// The reference executor: walks the graph's nodes in order, inferring each node's outputs from the
// concrete inputs (values included) and running the reference kernel on freshly allocated outputs.
#include "reference/reference_executor.h"

#include <unordered_map>

#include "reference/reference_kernels.h"
#include "lowp/error.h"
#include "lowp/op_schema.h"

namespace lowp::reference {
namespace {

void check_graph_input(const Value& value, const Tensor& tensor, size_t index) {
  const std::string which = "graph input " + std::to_string(index) + " '" + value.name + "'";
  if (value.dtype != DataType::kUndefined && value.dtype != tensor.dtype()) {
    throw_error(ErrorCode::kInvalidArgument, which + " expects dtype " + name_of(value.dtype) +
                                                 ", got " + name_of(tensor.dtype()));
  }
  if (tensor.empty()) {
    throw_error(ErrorCode::kInvalidArgument, which + " has no data");
  }
  if (!value.shape.has_rank()) return;
  bool fits = value.shape.rank() == tensor.dims().size();
  for (size_t d = 0; fits && d < value.shape.rank(); ++d) {
    fits = !value.shape[d].known() || value.shape[d].size == tensor.dims()[d];
  }
  if (!fits) {
    throw_error(ErrorCode::kInvalidArgument, which + " expects dims " + value.shape.to_string() +
                                                 ", got " + dims_to_string(tensor.dims()));
  }
}

using Environment = std::unordered_map<const Value*, Tensor>;

// Runs every node; the result maps each graph input and computed value to its tensor.
Environment run_all(const Graph& graph, const std::vector<Tensor>& inputs) {
  if (inputs.size() != graph.inputs.size()) {
    throw_error(ErrorCode::kInvalidArgument, "graph '" + graph.name + "' expects " +
                                                 std::to_string(graph.inputs.size()) +
                                                 " inputs, got " + std::to_string(inputs.size()));
  }
  Environment env;
  for (size_t i = 0; i < inputs.size(); ++i) {
    check_graph_input(*graph.inputs[i], inputs[i], i);
    env[graph.inputs[i]] = inputs[i];
  }
  for (const auto& node : graph.nodes()) {
    std::vector<const Tensor*> node_inputs;
    for (const Value* v : node->inputs) {
      if (!v) {
        node_inputs.push_back(nullptr);
      } else if (v->constant) {
        node_inputs.push_back(v->constant.get());
      } else {
        auto it = env.find(v);
        if (it == env.end()) {
          throw_error(ErrorCode::kInvalidModel, node->describe() + ": input '" + v->name +
                                                    "' is not computed before the node");
        }
        node_inputs.push_back(&it->second);
      }
    }
    std::vector<Tensor> results = run_node(*node, node_inputs);
    for (size_t i = 0; i < node->outputs.size(); ++i) {
      if (node->outputs[i]) env[node->outputs[i]] = std::move(results[i]);
    }
  }
  return env;
}

}  // namespace

std::vector<Tensor> run_node(const Node& node, const std::vector<const Tensor*>& inputs) {
  Kernel kernel = find_kernel(node.op_type);
  if (!kernel) {
    throw_error(ErrorCode::kUnsupported, node.describe() + ": no reference kernel");
  }
  std::vector<TensorInfo> infos;
  for (const Tensor* t : inputs) {
    TensorInfo info;
    if (t) {
      info.dtype = t->dtype();
      info.dims = t->dims();
      info.value = t;
    } else {
      info.present = false;
    }
    infos.push_back(std::move(info));
  }
  const std::vector<TensorInfo> out_infos = infer_node(node, infos);
  std::vector<Tensor> outputs(node.outputs.size());
  std::vector<Tensor*> output_ptrs(node.outputs.size(), nullptr);
  for (size_t i = 0; i < node.outputs.size(); ++i) {
    if (!node.outputs[i] || i >= out_infos.size() || !out_infos[i].present) continue;
    outputs[i] = Tensor(out_infos[i].dtype, out_infos[i].dims);
    output_ptrs[i] = &outputs[i];
  }
  kernel(node, inputs, output_ptrs);
  return outputs;
}

std::vector<Tensor> run_graph(const Graph& graph, const std::vector<Tensor>& inputs) {
  Environment env = run_all(graph, inputs);
  std::vector<Tensor> out;
  for (const Value* v : graph.outputs) {
    if (v->constant) {
      out.push_back(v->constant->clone());
      continue;
    }
    auto it = env.find(v);
    if (it == env.end()) {
      throw_error(ErrorCode::kInvalidModel,
                  "graph output '" + v->name + "' is not computed by any node");
    }
    out.push_back(it->second);
  }
  return out;
}

std::map<std::string, Tensor> run_graph_all_values(const Graph& graph,
                                                   const std::vector<Tensor>& inputs) {
  Environment env = run_all(graph, inputs);
  std::map<std::string, Tensor> out;
  for (const auto& node : graph.nodes()) {
    for (const Value* v : node->outputs) {
      if (v && env.count(v)) out[v->name] = env[v];
    }
  }
  return out;
}

}  // namespace lowp::reference

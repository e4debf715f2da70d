#include "lowp/shape_propagation.h"

#include <algorithm>
#include <list>
#include <map>

#include "lowp/error.h"
#include "lowp/op_schema.h"

namespace lowp {
namespace {

constexpr int64_t kProbeA = 7;
constexpr int64_t kProbeB = 11;

using Known = std::map<const Value*, TensorInfo>;

Known infer_impl(const Graph& graph, const std::vector<Dims>& input_dims, bool lenient,
                 const NodeEvaluator* evaluate, std::list<Tensor>* storage);

// Dtypes and dims with every symbolic input dim set to `probe` (values dropped).
Known infer_with_probe(const Graph& graph, int64_t probe, const NodeEvaluator* evaluate) {
  std::vector<Dims> input_dims;
  for (const Value* in : graph.inputs) {
    Dims dims;
    for (const Dim& d : in->shape.dims()) dims.push_back(d.known() ? d.size : probe);
    input_dims.push_back(dims);
  }
  std::list<Tensor> storage;
  Known known = infer_impl(graph, input_dims, /*lenient=*/true, evaluate, &storage);
  for (auto& [value, info] : known) info.value = nullptr;  // storage ends here
  return known;
}

std::string batch_symbol(const Graph& graph) {
  for (const Value* in : graph.inputs) {
    for (const Dim& d : in->shape.dims()) {
      if (!d.known() && !d.symbol.empty()) return d.symbol;
    }
  }
  return "N";
}

constexpr int64_t kMaxEvaluatedElements = 4096;  // shape arithmetic, never activations
constexpr double kMaxEvaluatedWork = 1e6;

// Evaluates `node` when that is cheap and useful: Shape of known dims, or small known inputs.
bool evaluate_small(const Node& node, const std::vector<TensorInfo>& inputs,
                    const NodeEvaluator& evaluate, std::list<Tensor>& storage,
                    std::vector<TensorInfo>& outs) {
  std::vector<const Tensor*> values;
  if (node.op_type == "Shape") {
    storage.push_back(Tensor::view(inputs.at(0).dtype, inputs.at(0).dims, nullptr));
    values.push_back(&storage.back());
  } else {
    for (const TensorInfo& in : inputs) {
      if (in.present && (!in.value || element_count(in.dims) > kMaxEvaluatedElements)) return false;
      values.push_back(in.present ? in.value : nullptr);
    }
    if (values.empty()) return false;
    // Shape arithmetic is small and cheap; anything else waits for constant folding's budget.
    // (Shape reads only its input's dims: it is always cheap.)
    for (const TensorInfo& out : outs) {
      if (out.present && element_count(out.dims) > kMaxEvaluatedElements) return false;
    }
    if (estimated_work(node, inputs, outs) > kMaxEvaluatedWork) return false;
  }
  std::vector<Tensor> results = evaluate(node, values);
  for (size_t i = 0; i < results.size() && i < outs.size(); ++i) {
    if (!outs[i].present) continue;
    storage.push_back(std::move(results[i]));
    outs[i].value = &storage.back();
  }
  return true;
}

Known infer_impl(const Graph& graph, const std::vector<Dims>& input_dims, bool lenient,
                 const NodeEvaluator* evaluate, std::list<Tensor>* storage) {
  Known known;
  for (const auto& v : graph.values()) {
    if (v->constant)
      known[v.get()] = TensorInfo{v->dtype, v->constant->dims(), v->constant.get(), true};
  }
  for (size_t i = 0; i < graph.inputs.size() && i < input_dims.size(); ++i) {
    const Value* in = graph.inputs[i];
    if (!lenient || in->shape.has_rank())
      known[in] = TensorInfo{in->dtype, input_dims[i], nullptr, true};
  }
  for (const auto& node : graph.nodes()) {
    std::vector<TensorInfo> inputs;
    bool ready = true;
    for (const Value* in : node->inputs) {
      if (!in) {
        inputs.push_back(TensorInfo{DataType::kUndefined, {}, nullptr, false});
        continue;
      }
      auto it = known.find(in);
      if (it == known.end()) {
        ready = false;
        break;
      }
      inputs.push_back(it->second);
    }
    if (!ready) {
      if (lenient) continue;
      throw_error(ErrorCode::kInternal, node->describe() + ": an input was not computed before it");
    }
    std::vector<TensorInfo> outs;
    try {
      outs = infer_node(*node, inputs);
    } catch (const Error& e) {
      // Data-dependent shapes are resolved per run; anything else is a real model error.
      if (!lenient || e.code() != ErrorCode::kUnsupported || !find_op_schema(node->op_type)) throw;
      continue;
    }
    for (auto& out : outs) out.value = nullptr;
    if (evaluate) evaluate_small(*node, inputs, *evaluate, *storage, outs);
    for (size_t i = 0; i < node->outputs.size() && i < outs.size(); ++i) {
      if (node->outputs[i] && outs[i].present) known[node->outputs[i]] = outs[i];
    }
  }
  return known;
}

// Fills every value's dtype and shape from two probes (see propagate_shapes).
void propagate_shapes_impl(Graph& graph, const NodeEvaluator* evaluate);

}  // namespace

std::map<const Value*, TensorInfo> infer_concrete(const Graph& graph,
                                                  const std::vector<Dims>& input_dims,
                                                  bool lenient) {
  return infer_impl(graph, input_dims, lenient, nullptr, nullptr);
}

std::map<const Value*, TensorInfo> infer_concrete(const Graph& graph,
                                                  const std::vector<Dims>& input_dims,
                                                  const NodeEvaluator& evaluate,
                                                  std::list<Tensor>& storage) {
  return infer_impl(graph, input_dims, false, &evaluate, &storage);
}

void propagate_shapes(Graph& graph) { propagate_shapes_impl(graph, nullptr); }

void propagate_shapes(Graph& graph, const NodeEvaluator& evaluate) {
  propagate_shapes_impl(graph, &evaluate);
}

namespace {

void propagate_shapes_impl(Graph& graph, const NodeEvaluator* evaluate) {
  Known a = infer_with_probe(graph, kProbeA, evaluate);
  Known b = infer_with_probe(graph, kProbeB, evaluate);
  std::string symbol = batch_symbol(graph);
  for (const auto& v : graph.values()) {
    if (v->constant) continue;
    auto ia = a.find(v.get());
    auto ib = b.find(v.get());
    if (ia == a.end() || ib == b.end() || ia->second.dims.size() != ib->second.dims.size())
      continue;
    if (std::find(graph.inputs.begin(), graph.inputs.end(), v.get()) != graph.inputs.end())
      continue;
    std::vector<Dim> dims;
    for (size_t i = 0; i < ia->second.dims.size(); ++i) {
      int64_t da = ia->second.dims[i];
      int64_t db = ib->second.dims[i];
      if (da == db) {
        dims.push_back(Dim{da, {}});
      } else if (da == kProbeA && db == kProbeB) {
        dims.push_back(Dim{-1, symbol});
      } else {
        dims.push_back(Dim{-1, {}});
      }
    }
    v->dtype = ia->second.dtype;
    v->shape = Shape(std::move(dims));
  }
}

}  // namespace

}  // namespace lowp

#include "lowp/graph_verifier.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "lowp/error.h"
#include "lowp/shape_propagation.h"

namespace lowp {
namespace {

class Verifier {
 public:
  Verifier(const Graph& graph, const std::string& stage) : graph_(graph), stage_(stage) {}

  void run() {
    check_values();
    check_nodes();
    check_graph_outputs();
    check_inferred_types();
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw_error(ErrorCode::kInternal,
                "graph verifier (" + stage_ + ", graph '" + graph_.name + "'): " + what);
  }

  static std::string value_name(const Value* v) { return "value '" + v->name + "'"; }

  bool is_input(const Value* v) const {
    return std::find(graph_.inputs.begin(), graph_.inputs.end(), v) != graph_.inputs.end();
  }

  void check_values() {
    std::set<std::string> names;
    for (const auto& owned : graph_.values()) {
      const Value* v = owned.get();
      owned_.insert(v);
      if (!names.insert(v->name).second) fail("two values are named '" + v->name + "'");
    }
    for (const auto& node : graph_.nodes()) nodes_.insert(node.get());
    for (const auto& owned : graph_.values()) {
      const Value* v = owned.get();
      if (v->producer) {
        if (!nodes_.count(v->producer)) fail(value_name(v) + ": its producer is not in the graph");
        const auto& outs = v->producer->outputs;
        if (std::find(outs.begin(), outs.end(), v) == outs.end()) {
          fail(value_name(v) + ": " + v->producer->describe() + " does not list it as an output");
        }
      }
      if (v->producer && (v->constant || is_input(v))) {
        fail(value_name(v) + ": a constant or graph input with a producer");
      }
      for (const Node* c : v->consumers) {
        if (!nodes_.count(c)) fail(value_name(v) + ": a consumer is not in the graph");
        if (std::find(c->inputs.begin(), c->inputs.end(), v) == c->inputs.end()) {
          fail(value_name(v) + ": " + c->describe() +
               " is listed as a consumer but does not read it");
        }
      }
      if (v->constant) check_constant(v);
      if (v->quant) check_quant(v);
      check_dims(v);
    }
  }

  // Dims a tensor cannot have (a plan's values carry theirs): negative, or too many elements.
  void check_dims(const Value* v) const {
    if (!v->shape.has_rank()) return;
    Dims sizes;
    for (const Dim& d : v->shape.dims()) sizes.push_back(d.size);
    const std::string problem = dims_problem(sizes);
    if (!problem.empty()) fail(value_name(v) + ": " + problem);
  }

  void check_constant(const Value* v) const {
    const Tensor& t = *v->constant;
    if (t.dtype() != v->dtype) {
      fail(value_name(v) + ": dtype " + name_of(v->dtype) + " but its tensor is " +
           name_of(t.dtype()));
    }
    bool agree = !v->shape.has_rank() || v->shape.dims().size() == t.dims().size();
    for (size_t i = 0; agree && v->shape.has_rank() && i < t.dims().size(); ++i) {
      const Dim& d = v->shape.dims()[i];
      agree = !d.known() || d.size == t.dims()[i];
    }
    if (!agree) {
      fail(value_name(v) + ": shape " + v->shape.to_string() + " but its tensor is " +
           dims_to_string(t.dims()));
    }
  }

  void check_quant(const Value* v) const {
    const QuantParams& q = *v->quant;
    const std::string where = value_name(v) + ": quantization parameters ";
    if (q.storage != v->dtype) {
      fail(where + "store " + name_of(q.storage) + " in a " + name_of(v->dtype) + " value");
    }
    if (q.scales.empty() || q.scales.size() != q.zero_points.size()) {
      fail(where + "have " + std::to_string(q.scales.size()) + " scales and " +
           std::to_string(q.zero_points.size()) + " zero points");
    }
    if (q.axis < 0 && q.scales.size() != 1) fail(where + "per tensor with several scales");
    if (q.axis >= 0 && v->shape.has_rank()) {
      const auto& dims = v->shape.dims();
      if (static_cast<size_t>(q.axis) >= dims.size()) {
        fail(where + "axis " + std::to_string(q.axis) + " of a rank-" +
             std::to_string(dims.size()) + " value");
      }
      const Dim& d = dims[static_cast<size_t>(q.axis)];
      if (d.known() && static_cast<size_t>(d.size) != q.scales.size()) {
        fail(where + "have " + std::to_string(q.scales.size()) + " scales for " +
             std::to_string(d.size) + " channels");
      }
    }
    for (float s : q.scales) {
      if (!std::isfinite(s) || s <= 0.f) fail(where + "hold the scale " + std::to_string(s));
    }
    for (int32_t z : q.zero_points) {
      if (z < storage_min(q.storage) || z > storage_max(q.storage)) {
        fail(where + "hold the zero point " + std::to_string(z) + " outside " + name_of(q.storage));
      }
    }
  }

  void check_nodes() {
    std::set<const Value*> available;
    for (const auto& owned : graph_.values()) {
      if (owned->constant || is_input(owned.get())) available.insert(owned.get());
    }
    for (const auto& owned : graph_.nodes()) {
      const Node* node = owned.get();
      for (const Value* in : node->inputs) {
        if (!in) continue;
        if (!owned_.count(in)) fail(node->describe() + ": an input is not a value of the graph");
        if (std::find(in->consumers.begin(), in->consumers.end(), node) == in->consumers.end()) {
          fail(node->describe() + ": reads " + value_name(in) + ", which does not list it");
        }
        if (!available.count(in)) {
          fail(node->describe() + ": reads " + value_name(in) +
               (in->producer ? " before its producer " + in->producer->describe() + " runs"
                             : ", which nothing produces"));
        }
      }
      for (const Value* out : node->outputs) {
        if (!out) continue;
        if (!owned_.count(out)) fail(node->describe() + ": an output is not a value of the graph");
        if (out->producer != node) {
          fail(node->describe() + ": writes " + value_name(out) + ", whose producer is " +
               (out->producer ? out->producer->describe() : std::string("unset")));
        }
        if (!available.insert(out).second) {
          fail(node->describe() + ": writes " + value_name(out) + ", which is already defined");
        }
      }
    }
  }

  void check_graph_outputs() const {
    if (const Value* twice = graph_.repeated_output()) {
      fail("graph output " + value_name(twice) + " is listed twice");
    }
    for (const Value* out : graph_.outputs) {
      if (!owned_.count(out)) fail("a graph output is not a value of the graph");
      if (!out->producer && !out->constant && !is_input(out)) {
        fail("graph output " + value_name(out) + " is never produced");
      }
    }
  }

  // Every node's outputs against its schema, with symbolic input dimensions set to one probe size.
  void check_inferred_types() const {
    std::vector<Dims> dims;
    for (const Value* in : graph_.inputs) {
      Dims d;
      for (const Dim& dim : in->shape.dims()) d.push_back(dim.known() ? dim.size : kProbe);
      dims.push_back(std::move(d));
    }
    std::map<const Value*, TensorInfo> inferred;
    try {
      inferred = infer_concrete(graph_, dims, /*lenient=*/true);
    } catch (const Error& e) {
      fail(std::string("shape inference fails: ") + e.what());
    }
    for (const auto& owned : graph_.values()) {
      const Value* v = owned.get();
      auto it = inferred.find(v);
      if (v->constant || is_input(v) || it == inferred.end()) continue;
      if (it->second.dtype != v->dtype) {
        fail(value_name(v) + " of " + v->producer->describe() + ": dtype " + name_of(v->dtype) +
             ", its schema infers " + name_of(it->second.dtype));
      }
      if (!v->shape.has_rank()) continue;
      const auto& recorded = v->shape.dims();
      bool agree = recorded.size() == it->second.dims.size();
      for (size_t i = 0; agree && i < recorded.size(); ++i) {
        agree = !recorded[i].known() || recorded[i].size == it->second.dims[i];
      }
      if (!agree) {
        fail(value_name(v) + " of " + v->producer->describe() + ": shape " + v->shape.to_string() +
             ", its schema infers " + dims_to_string(it->second.dims) +
             " (symbolic dimensions probed as " + std::to_string(kProbe) + ")");
      }
    }
  }

  static constexpr int64_t kProbe = 3;
  const Graph& graph_;
  const std::string& stage_;
  std::set<const Value*> owned_;
  std::set<const Node*> nodes_;
};

}  // namespace

void verify_graph(const Graph& graph, const std::string& stage) { Verifier(graph, stage).run(); }

}  // namespace lowp

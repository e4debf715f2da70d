// Fills in every Value's dtype and Shape from the graph inputs' (possibly symbolic) shapes and the
// op schemas. Symbolic dimensions are tracked by inferring twice with two different probe sizes:
// an output dimension that follows the probe is symbolic, one that stays put is static.
#pragma once

#include <functional>
#include <list>
#include <map>
#include <vector>

#include "lowp/graph.h"
#include "lowp/op_schema.h"

namespace lowp {

// Concrete dtype, dims (and, for constants, values) of every value reachable from the graph
// inputs given their concrete dims, in graph->inputs order. `lenient` skips nodes whose outputs
// depend on runtime data instead of throwing.
std::map<const Value*, TensorInfo> infer_concrete(const Graph& graph,
                                                  const std::vector<Dims>& input_dims,
                                                  bool lenient = false);

// Computes a node's outputs from known input values (the engine passes the reference kernels).
using NodeEvaluator =
    std::function<std::vector<Tensor>(const Node& node, const std::vector<const Tensor*>& inputs)>;

// As above, and also evaluates small shape computations (Shape of a value with known dims, and
// nodes whose inputs are all known and small) so that Shape -> Gather -> Concat -> Reshape
// resolves for each concrete batch size. Computed values are kept alive in `storage`.
std::map<const Value*, TensorInfo> infer_concrete(const Graph& graph,
                                                  const std::vector<Dims>& input_dims,
                                                  const NodeEvaluator& evaluate,
                                                  std::list<Tensor>& storage);

// Nodes whose outputs cannot be inferred statically (a shape depends on runtime data) leave them
// with unknown rank; they are inferred again per input dims when an engine runs.
void propagate_shapes(Graph& graph);
// As above, also evaluating small shape computations (see infer_concrete) at the probe sizes, so
// that Shape -> Gather -> Concat -> Reshape chains get their dtype and (symbolic) dims.
void propagate_shapes(Graph& graph, const NodeEvaluator& evaluate);

}  // namespace lowp

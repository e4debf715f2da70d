// Runs a Graph node by node with the reference kernels, allocating every intermediate. Slow and
// simple: used by tests, by constant folding and to compute per-layer references.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "lowp/graph.h"
#include "lowp/tensor.h"

namespace lowp::reference {

// Runs `graph` on `inputs` (in graph->inputs order) and returns the graph outputs in order.
std::vector<Tensor> run_graph(const Graph& graph, const std::vector<Tensor>& inputs);

// Same, returning every value computed (keyed by value name), constants excluded.
std::map<std::string, Tensor> run_graph_all_values(const Graph& graph,
                                                   const std::vector<Tensor>& inputs);

// Runs one node on concrete inputs: infers output dims, allocates outputs, calls the kernel.
std::vector<Tensor> run_node(const Node& node, const std::vector<const Tensor*>& inputs);

}  // namespace lowp::reference

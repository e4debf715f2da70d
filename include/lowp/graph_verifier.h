// The graph verifier: checks that a Graph is well formed, so that a pass that breaks the IR fails
// at that pass, naming it, instead of giving a wrong answer later. Checks:
//  - structure: every value has at most one producer, which lists it as an output; consumer lists
//    match the nodes' inputs; nodes are in topological order; every value a node or the graph
//    output uses is produced, a graph input or a constant; value names are unique;
//  - types: constants agree with their tensors; every node's outputs have the dtype and dims its
//    schema infers from its inputs (symbolic dimensions probed with a concrete size);
//  - quantization parameters fit their value: storage is the value's dtype, one scale per tensor
//    or per channel of `axis`, finite positive scales, zero points in the storage's range.
// Runs after every pass when CompileOptions::verify is set (`lowp compile --verify`).
#pragma once

#include <string>

#include "lowp/graph.h"

namespace lowp {

// Throws lowp::Error(kInternal) naming `stage` (e.g. "after pass 'conv-add-fusion'"), the node or
// value, and what is wrong.
void verify_graph(const Graph& graph, const std::string& stage);

}  // namespace lowp

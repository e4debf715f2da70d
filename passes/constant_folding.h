// Constant folding: every node whose inputs are all constants is evaluated with the reference
// kernels and replaced by a constant; Shape of a value with a static shape becomes a constant.
// This is what turns Shape/Gather/Unsqueeze/Concat subgraphs feeding Reshape into constants.
#pragma once

#include "passes/pass.h"

namespace lowp {

// Returns the number of nodes folded.
int fold_constants(Graph& graph);

class ConstantFoldingPass : public Pass {
 public:
  const char* name() const override { return "constant-folding"; }
  bool run(Graph& graph, PassContext& ctx) const override;
};

}  // namespace lowp

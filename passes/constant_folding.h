// Constant folding: every node whose inputs are all constants is evaluated with the reference
// kernels and replaced by a constant; Shape of a value with a static shape becomes a constant.
// This is what turns Shape/Gather/Unsqueeze/Concat subgraphs feeding Reshape into constants.
// Each node is charged to a FoldingBudget first (core/folding_budget.h): over a limit, compiling
// fails naming the node instead of allocating or computing what a small file asks.
#pragma once

#include "lowp/options.h"
#include "passes/pass.h"

namespace lowp {

// Returns the number of nodes folded.
int fold_constants(Graph& graph, const FoldingLimits& limits = {});

class ConstantFoldingPass : public Pass {
 public:
  explicit ConstantFoldingPass(const FoldingLimits& limits = {}) : limits_(limits) {}
  const char* name() const override { return "constant-folding"; }
  bool run(Graph& graph, PassContext& ctx) const override;

 private:
  FoldingLimits limits_;
};

}  // namespace lowp

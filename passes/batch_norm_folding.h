// Folds an inference BatchNormalization that follows a Conv (constant weights, single consumer)
// into the Conv's weights and bias: w' = w * s, b' = (b - mean) * s + beta, s = gamma / sqrt(var +
// eps).
#pragma once

#include "passes/pass.h"

namespace lowp {

class BatchNormFoldingPass : public Pass {
 public:
  const char* name() const override { return "batchnorm-folding"; }
  bool run(Graph& graph, PassContext& ctx) const override;
};

}  // namespace lowp

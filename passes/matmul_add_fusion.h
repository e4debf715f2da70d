// MatMul + bias fusion: Add(MatMul(A, B), C) with a 2-D A, a constant 2-D B and a constant bias C
// that broadcasts over the rows ([N] or [1, N]) becomes Gemm(A, B, C): one inner product with a
// bias (and, after ActivationFusionPass, an activation) on every backend. PyTorch exports
// nn.Linear this way when the input is not flattened to 2-D by a Gemm-friendly op.
#pragma once

#include "passes/pass.h"

namespace lowp {

class MatMulAddFusionPass : public Pass {
 public:
  const char* name() const override { return "matmul-add-fusion"; }
  bool run(Graph& graph, PassContext& ctx) const override;
};

}  // namespace lowp

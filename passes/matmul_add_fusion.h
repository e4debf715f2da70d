// MatMul + bias fusion: Add(MatMul(A, B), C) with a constant 2-D B and a constant bias C that
// broadcasts over the rows ([N], [1, N], [1, 1, N]...):
//  - a 2-D A becomes Gemm(A, B, C): one inner product with a bias on every backend;
//  - a higher-rank A (transformers' [batch, tokens, features] projections) becomes
//    MatMul(A, B, C[N]), lowp's fused form of MatMul with a bias input, where the target backend
//    supports it (PassContext::backend_supports).
// ActivationFusionPass then attaches a following activation to either. PyTorch exports nn.Linear
// this way when the input is not flattened to 2-D by a Gemm-friendly op.
#pragma once

#include "passes/pass.h"

namespace lowp {

class MatMulAddFusionPass : public Pass {
 public:
  const char* name() const override { return "matmul-add-fusion"; }
  bool run(Graph& graph, PassContext& ctx) const override;
};

}  // namespace lowp

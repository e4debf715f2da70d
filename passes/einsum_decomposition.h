// Einsum decomposition: a two-operand Einsum without diagonals or one-sided sums (every equation
// vision exporters emit: MaxViT's "BGHIJ,BGHJD->BGHID", "bij,bjk->bik", "bhid,bhjd->bhij") becomes
// Transpose -> [Reshape] -> MatMul -> [Reshape] -> Transpose, and a one-operand permutation a
// Transpose, so backends run it on their matmul. Other equations stay Einsum (reference kernel).
#pragma once

#include "passes/pass.h"

namespace lowp {

class EinsumDecompositionPass : public Pass {
 public:
  const char* name() const override { return "einsum-decomposition"; }
  bool run(Graph& graph, PassContext& ctx) const override;
};

}  // namespace lowp

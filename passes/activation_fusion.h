// Activation fusion: an activation that is the sole consumer of the output of an op whose schema
// lists it among its fusable activations (Conv, Gemm) becomes that node's Node::activation (a
// oneDNN eltwise post-op, a cuBLASLt epilogue), when the target backend supports the fused form
// (PassContext::backend_supports). Clip fuses only with constant bounds.
#pragma once

#include "passes/pass.h"

namespace lowp {

class ActivationFusionPass : public Pass {
 public:
  const char* name() const override { return "activation-fusion"; }
  bool run(Graph& graph, PassContext& ctx) const override;
};

}  // namespace lowp

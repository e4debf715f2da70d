// Conv / Gemm + activation fusion: an activation that is the sole consumer of a Conv or Gemm
// output becomes the `_activation` attribute of that node (a oneDNN eltwise post-op, a cuBLASLt
// epilogue). Clip fuses only with constant bounds.
#pragma once

#include "passes/pass.h"

namespace lowp {

class ActivationFusionPass : public Pass {
 public:
  const char* name() const override { return "activation-fusion"; }
  bool run(Graph& graph, PassContext& ctx) const override;
};

}  // namespace lowp

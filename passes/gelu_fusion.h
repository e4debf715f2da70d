// GELU fusion: the erf form that exporters emit before ONNX had Gelu (torch.onnx at opset < 20),
//   y = (x * (Erf(x / sqrt(2)) + 1)) * 0.5   or   y = (x * 0.5) * (Erf(x / sqrt(2)) + 1)
// (x / sqrt(2) also as x * (1 / sqrt(2)); operands of Add / Mul in either order), becomes one
// Gelu(x) node (opset 20 semantics, approximate="none"): oneDNN's gelu_erf on the CPU instead of
// five element-wise passes, one of them a reference Erf.
#pragma once

#include "passes/pass.h"

namespace lowp {

class GeluFusionPass : public Pass {
 public:
  const char* name() const override { return "gelu-fusion"; }
  bool run(Graph& graph, PassContext& ctx) const override;
};

}  // namespace lowp

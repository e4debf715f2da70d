// LayerNorm fusion: layer normalisation as exporters emit it before opset 17 (torch.onnx at
// opset 13: ConvNeXt, ViT, Swin),
//   d = x - ReduceMean(x, axes);  v = ReduceMean(Pow(d, 2), axes)   (or d * d)
//   y = d / Sqrt(v + eps)  [* gamma]  [+ beta]
// over the trailing axes [axis, rank) with keepdims, becomes one LayerNormalization(x, gamma, beta)
// with `axis` and `epsilon` (gamma and beta constants broadcasting over those axes only; ones when
// there is no gamma): oneDNN's layer normalisation on the CPU instead of nine passes over memory.
#pragma once

#include "passes/pass.h"

namespace lowp {

class LayerNormFusionPass : public Pass {
 public:
  const char* name() const override { return "layer-norm-fusion"; }
  bool run(Graph& graph, PassContext& ctx) const override;
};

}  // namespace lowp

// Pad fusion: Conv(Pad(x, zeros)) becomes Conv(x) with the spatial pads added to the Conv's own
// `pads` (begin and end separately, so the asymmetric "same" padding of TensorFlow exports, as
// EfficientNet-Lite has before every strided or depthwise convolution, keeps its shape). Applies
// when the Pad is in constant mode with fill 0 (or none), pads only the spatial axes by amounts
// >= 0, is read by that Conv alone, and the Conv has no auto_pad. Besides one copy of the
// activation less, int8 then needs no Dequantize -> Pad -> Quantize between two int8 layers.
#pragma once

#include "passes/pass.h"

namespace lowp {

class PadConvFusionPass : public Pass {
 public:
  const char* name() const override { return "pad-conv-fusion"; }
  bool run(Graph& graph, PassContext& ctx) const override;
};

}  // namespace lowp

// Residual fusion: Add(Conv(x), r) with r of the same shape becomes Conv(x, w, b, r): the Conv adds
// r to its output before any activation (oneDNN's sum post-op). Runs before activation fusion so
// that Conv + Add + Relu ends up as one node.
#pragma once

#include "passes/pass.h"

namespace lowp {

class ConvAddFusionPass : public Pass {
 public:
  const char* name() const override { return "conv-add-fusion"; }
  bool run(Graph& graph, PassContext& ctx) const override;
};

}  // namespace lowp

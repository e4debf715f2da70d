// The activation that passes fuse into Conv and Gemm (Node::activation), as the reference
// kernels compute it.
#pragma once

#include <cstdint>

#include "lowp/graph.h"

namespace lowp::reference {

// Applies `activation` (nothing for kNone) to `n` values in place.
void apply_activation(const FusedActivation& activation, float* data, int64_t n);

// Applies the node's fused activation (if any) to `n` values in place.
inline void apply_fused_activation(const Node& node, float* data, int64_t n) {
  apply_activation(node.activation, data, n);
}

}  // namespace lowp::reference

// The activation that passes fuse into Conv and Gemm (`_activation`, `_alpha`, `_beta`).
#pragma once

#include <cstdint>

#include "lowp/graph.h"

namespace lowp::reference {

// Applies the node's fused activation (if any) to `n` values in place.
void apply_fused_activation(const Node& node, float* data, int64_t n);

}  // namespace lowp::reference

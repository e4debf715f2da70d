// Activations as oneDNN eltwise operations: for the activation that passes fuse into Conv / Gemm
// (Node::activation, turned into post-ops) and for standalone activation nodes.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <vector>

#include "lowp/graph.h"

namespace lowp::cpu {

struct EltwiseOp {
  dnnl::algorithm algorithm;
  float alpha = 0.f;
  float beta = 0.f;
};

// The eltwise sequence computing `activation` (empty for kNone).
std::vector<EltwiseOp> activation_to_eltwise(const FusedActivation& activation);

// Appends the node's fused activation (if any) to `ops`; `tag` gets " +relu" etc.
void append_fused_activation(const Node& node, dnnl::post_ops& ops, std::string* tag);

}  // namespace lowp::cpu

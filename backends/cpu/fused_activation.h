// Activations as oneDNN eltwise operations: for the `_activation` attribute that passes fuse into
// Conv / Gemm (turned into post-ops) and for standalone activation nodes.
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

// The eltwise sequence computing ONNX `op` with its parameters (ONNX defaults applied when
// `alpha` / `beta` are absent); false when oneDNN has no equivalent.
bool activation_to_eltwise(const std::string& op, const float* alpha, const float* beta,
                           std::vector<EltwiseOp>& out);

// Appends the node's fused `_activation` (if any) to `ops`; `tag` gets " +relu" etc.
// Returns false when the activation has no oneDNN equivalent.
bool append_fused_activation(const Node& node, dnnl::post_ops& ops, std::string* tag);

}  // namespace lowp::cpu

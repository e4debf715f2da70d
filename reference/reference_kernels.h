// Reference kernels: plain, obviously-correct C++ for every supported operator. They are the oracle
// that the fast backends and every pass are tested against, and the fallback for an op a fast
// backend lacks. Outputs arrive allocated with the dims that infer_node() computed.
#pragma once

#include <string>
#include <vector>

#include "lowp/graph.h"
#include "lowp/tensor.h"

namespace lowp::reference {

// inputs[i] is nullptr for an omitted optional input; outputs[i] nullptr for an unused output.
using Kernel = void (*)(const Node& node, const std::vector<const Tensor*>& inputs,
                        const std::vector<Tensor*>& outputs);

// nullptr when there is no reference kernel for op_type.
Kernel find_kernel(const std::string& op_type);

}  // namespace lowp::reference

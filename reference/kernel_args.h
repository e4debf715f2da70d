// Short names for a reference kernel's argument lists (see reference_kernels.h).
#pragma once

#include <vector>

#include "lowp/tensor.h"

namespace lowp::reference {

using KernelInputs = std::vector<const Tensor*>;  // nullptr for an omitted optional input
using KernelOutputs = std::vector<Tensor*>;       // nullptr for an unused output

}  // namespace lowp::reference

// Tensors joined into one batch along their first axis (images or samples read one by one).
#pragma once

#include <vector>

#include "lowp/tensor.h"

namespace lowp::io {

// Concatenates `parts` [n_i, ...] (same dtype, same dims after the first) along dimension 0.
Tensor stack_batch(const std::vector<Tensor>& parts);

}  // namespace lowp::io

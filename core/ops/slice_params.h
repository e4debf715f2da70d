// ONNX Slice arithmetic shared by the schema (output dims) and the kernels (which elements to
// read): negative starts/ends count from the end, out-of-range values clamp, steps may be negative.
#pragma once

#include <cstdint>
#include <vector>

#include "lowp/graph.h"
#include "lowp/tensor.h"

namespace lowp {

struct SliceAxis {
  int64_t start = 0;  // first index read along this dimension
  int64_t step = 1;   // never 0
  int64_t count = 0;  // output size along this dimension
};

// One entry per dimension of `data` (untouched dims read everything); `axes` and `steps` may be
// null.
// Throws kInvalidModel naming `node` on mismatched lengths, a zero step or a bad / repeated axis.
std::vector<SliceAxis> resolve_slice(const Node& node, const Dims& data, const Tensor& starts,
                                     const Tensor& ends, const Tensor* axes, const Tensor* steps);

}  // namespace lowp

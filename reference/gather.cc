// Gather along any axis with s32 / s64 indices of any rank (scalar included); negative indices
// count from the end, out-of-range ones are an error naming the node.
#include <cstring>

#include "reference/tensor_kernels.h"
#include "lowp/error.h"

namespace lowp::reference {

void gather_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out) {
  const Tensor& data = *in[0];
  const std::vector<int64_t> indices = in[1]->to_int64();
  int64_t axis = node.attr_int("axis", 0);
  if (axis < 0) axis += data.rank();
  if (axis < 0 || axis >= data.rank()) {
    throw_error(ErrorCode::kInvalidModel, node.describe() + ": axis is out of range");
  }
  const int64_t axis_dim = data.dims()[static_cast<size_t>(axis)];
  int64_t outer = 1;
  size_t inner_bytes = size_of(data.dtype());
  for (int64_t d = 0; d < data.rank(); ++d) {
    if (d < axis) outer *= data.dims()[static_cast<size_t>(d)];
    if (d > axis) inner_bytes *= static_cast<size_t>(data.dims()[static_cast<size_t>(d)]);
  }
  const auto* src = static_cast<const uint8_t*>(data.raw());
  auto* dst = static_cast<uint8_t*>(out[0]->raw());
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t index : indices) {
      if (index < -axis_dim || index >= axis_dim) {
        throw_error(ErrorCode::kInvalidArgument,
                    node.describe() + ": index " + std::to_string(index) +
                        " is out of range for a dimension of size " + std::to_string(axis_dim));
      }
      if (index < 0) index += axis_dim;
      if (inner_bytes) {
        const size_t row = static_cast<size_t>(o * axis_dim + index);
        std::memcpy(dst, src + row * inner_bytes, inner_bytes);
      }
      dst += inner_bytes;
    }
  }
}

}  // namespace lowp::reference

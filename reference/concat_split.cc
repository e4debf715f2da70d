// Concat and Split: both move contiguous blocks of (dims[axis] * inner) elements per outer index.
#include <cstring>

#include "reference/tensor_kernels.h"
#include "lowp/error.h"

namespace lowp::reference {
namespace {

struct AxisBlocks {
  int64_t outer = 1;       // product of the dims before the axis
  size_t inner_bytes = 0;  // bytes of one index along the axis (dims after it, times elem size)
};

AxisBlocks blocks_around(const Tensor& t, int64_t axis) {
  AxisBlocks b;
  b.inner_bytes = size_of(t.dtype());
  for (int64_t d = 0; d < t.rank(); ++d) {
    const int64_t n = t.dims()[static_cast<size_t>(d)];
    if (d < axis) b.outer *= n;
    if (d > axis) b.inner_bytes *= static_cast<size_t>(n);
  }
  return b;
}

size_t extent(const Tensor& t, int64_t axis) {
  return static_cast<size_t>(t.dims()[static_cast<size_t>(axis)]);
}

int64_t axis_of(const Node& node, int64_t default_axis, int64_t rank) {
  int64_t axis = node.attr_int("axis", default_axis);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) {
    throw_error(ErrorCode::kInvalidModel, node.describe() + ": axis is out of range");
  }
  return axis;
}

}  // namespace

void concat_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out) {
  Tensor& dst = *out[0];
  const int64_t axis = axis_of(node, 0, dst.rank());
  const AxisBlocks b = blocks_around(dst, axis);
  auto* d = static_cast<uint8_t*>(dst.raw());
  for (int64_t o = 0; o < b.outer; ++o) {
    for (const Tensor* src : in) {
      const size_t chunk = extent(*src, axis) * b.inner_bytes;
      if (chunk == 0) continue;
      const auto* s = static_cast<const uint8_t*>(src->raw());
      std::memcpy(d, s + static_cast<size_t>(o) * chunk, chunk);
      d += chunk;
    }
  }
}

void split_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out) {
  const Tensor& src = *in[0];
  const int64_t axis = axis_of(node, 0, src.rank());
  const AxisBlocks b = blocks_around(src, axis);
  const auto* s = static_cast<const uint8_t*>(src.raw());
  for (int64_t o = 0; o < b.outer; ++o) {
    for (Tensor* dst : out) {
      if (!dst) {
        throw_error(ErrorCode::kUnsupported, node.describe() + ": every output must be used");
      }
      const size_t chunk = extent(*dst, axis) * b.inner_bytes;
      if (chunk == 0) continue;
      std::memcpy(static_cast<uint8_t*>(dst->raw()) + static_cast<size_t>(o) * chunk, s, chunk);
      s += chunk;
    }
  }
}

}  // namespace lowp::reference

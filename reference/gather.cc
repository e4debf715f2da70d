// Gather along any axis with s32 / s64 indices of any rank (scalar included), and ScatterND, its
// inverse; negative indices count from the end, out-of-range ones are an error naming the node.
#include <algorithm>
#include <cstring>
#include <string>

#include "lowp/error.h"
#include "reference/tensor_kernels.h"

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

namespace {

enum class Reduction { kNone, kAdd, kMul, kMax, kMin };

Reduction reduction_of(const Node& node) {
  const std::string r = node.attr_string("reduction", "none");
  if (r == "add") return Reduction::kAdd;
  if (r == "mul") return Reduction::kMul;
  if (r == "max") return Reduction::kMax;
  if (r == "min") return Reduction::kMin;
  return Reduction::kNone;  // the schema refused every other value
}

template <typename T>
void combine(T* dst, const T* src, size_t n, Reduction reduction) {
  for (size_t i = 0; i < n; ++i) {
    switch (reduction) {
      case Reduction::kAdd:
        dst[i] = static_cast<T>(dst[i] + src[i]);
        break;
      case Reduction::kMul:
        dst[i] = static_cast<T>(dst[i] * src[i]);
        break;
      case Reduction::kMax:
        dst[i] = std::max(dst[i], src[i]);
        break;
      default:
        dst[i] = std::min(dst[i], src[i]);
    }
  }
}

// dst[0, bytes) combined with src by `reduction`, elements of `type`.
void reduce_slice(const Node& node, DataType type, void* dst, const void* src, size_t bytes,
                  Reduction reduction) {
  const size_t n = bytes / size_of(type);
  switch (type) {
    case DataType::kF32:
      return combine(static_cast<float*>(dst), static_cast<const float*>(src), n, reduction);
    case DataType::kS32:
      return combine(static_cast<int32_t*>(dst), static_cast<const int32_t*>(src), n, reduction);
    case DataType::kS64:
      return combine(static_cast<int64_t*>(dst), static_cast<const int64_t*>(src), n, reduction);
    case DataType::kS8:
      return combine(static_cast<int8_t*>(dst), static_cast<const int8_t*>(src), n, reduction);
    case DataType::kU8:
      return combine(static_cast<uint8_t*>(dst), static_cast<const uint8_t*>(src), n, reduction);
    default:
      throw_error(ErrorCode::kUnsupported, node.describe() + ": reduction '" +
                                               node.attr_string("reduction", "") + "' on " +
                                               name_of(type) + " is not supported");
  }
}

}  // namespace

// ScatterND: a copy of data with each slice data[indices[i, :k]] replaced by updates[i] (later
// entries win when indices repeat), or combined with it by `reduction` (add, mul, max, min).
void scatter_nd_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out) {
  const Tensor& data = *in[0];
  const std::vector<int64_t> indices = in[1]->to_int64();
  const Tensor& updates = *in[2];
  const auto k = static_cast<size_t>(in[1]->dims().back());
  const Reduction reduction = reduction_of(node);
  size_t slice_bytes = size_of(data.dtype());
  for (size_t d = k; d < data.dims().size(); ++d) {
    slice_bytes *= static_cast<size_t>(data.dims()[d]);
  }
  auto* dst = static_cast<uint8_t*>(out[0]->raw());
  std::memcpy(dst, data.raw(), static_cast<size_t>(data.numel()) * size_of(data.dtype()));
  const auto* src = static_cast<const uint8_t*>(updates.raw());
  const size_t count = k == 0 ? 0 : indices.size() / k;
  for (size_t i = 0; i < count; ++i) {
    int64_t offset = 0;  // in slices
    for (size_t d = 0; d < k; ++d) {
      const int64_t dim = data.dims()[d];
      int64_t index = indices[i * k + d];
      if (index < -dim || index >= dim) {
        throw_error(ErrorCode::kInvalidArgument,
                    node.describe() + ": index " + std::to_string(index) +
                        " is out of range for dim " + std::to_string(d) + " of size " +
                        std::to_string(dim));
      }
      if (index < 0) index += dim;
      offset = offset * dim + index;
    }
    uint8_t* to = dst + static_cast<size_t>(offset) * slice_bytes;
    if (reduction == Reduction::kNone) {
      std::memcpy(to, src + i * slice_bytes, slice_bytes);
    } else {
      reduce_slice(node, data.dtype(), to, src + i * slice_bytes, slice_bytes, reduction);
    }
  }
}

}  // namespace lowp::reference

// Kernels whose output holds the input's bytes unchanged (only the dims differ), plus Shape.
#include <algorithm>
#include <cstring>

#include "reference/tensor_kernels.h"
#include "lowp/error.h"

namespace lowp::reference {
namespace {

void copy_into(const Node& node, const Tensor& in, Tensor& out) {
  if (in.bytes() != out.bytes() || in.dtype() != out.dtype()) {
    throw_error(ErrorCode::kInternal, node.describe() + ": output " + dims_to_string(out.dims()) +
                                          " does not hold the input " + dims_to_string(in.dims()));
  }
  if (in.bytes()) std::memcpy(out.raw(), in.raw(), in.bytes());
}

}  // namespace

void copy_bytes_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out) {
  copy_into(node, *in[0], *out[0]);
}

void dropout_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out) {
  copy_into(node, *in[0], *out[0]);
  if (out.size() > 1 && out[1]) {
    std::fill_n(out[1]->data<uint8_t>(), out[1]->numel(), uint8_t{1});
  }
}

void shape_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out) {
  const int64_t rank = in[0]->rank();
  int64_t start = node.attr_int("start", 0);
  if (start < 0) start += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  int64_t* dst = out[0]->data<int64_t>();
  for (int64_t i = 0; i < out[0]->numel(); ++i) {
    dst[i] = in[0]->dims()[static_cast<size_t>(start + i)];
  }
}

}  // namespace lowp::reference

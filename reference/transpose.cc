#include "core/ops/broadcast.h"
#include "core/ops/transpose_params.h"
#include "reference/strided_loop.h"
#include "reference/tensor_kernels.h"

namespace lowp::reference {

void transpose_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out) {
  const Tensor& src = *in[0];
  Tensor& dst = *out[0];
  const int64_t rank = src.rank();
  const std::vector<int64_t> perm = transpose_permutation(node, rank);
  const std::vector<int64_t> src_strides = row_major_strides(src.dims());
  std::vector<int64_t> strides;
  for (int64_t p : perm) strides.push_back(src_strides[static_cast<size_t>(p)]);
  with_element_type(size_of(src.dtype()), [&](auto tag) {
    using T = decltype(tag);
    const T* s = src.data<T>();
    T* d = dst.data<T>();
    for_each_strided(dst.dims(), {strides},
                     [&](int64_t i, const int64_t* offsets) { d[i] = s[offsets[0]]; });
  });
}

}  // namespace lowp::reference

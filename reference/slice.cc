#include "reference/strided_loop.h"
#include "reference/tensor_kernels.h"
#include "core/ops/broadcast.h"
#include "core/ops/slice_params.h"

namespace lowp::reference {

void slice_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out) {
  const Tensor& src = *in[0];
  Tensor& dst = *out[0];
  const Tensor* axes_in = in.size() > 3 ? in[3] : nullptr;
  const Tensor* steps_in = in.size() > 4 ? in[4] : nullptr;
  const std::vector<SliceAxis> axes =
      resolve_slice(node, src.dims(), *in[1], *in[2], axes_in, steps_in);
  const std::vector<int64_t> src_strides = row_major_strides(src.dims());
  std::vector<int64_t> strides(axes.size());
  int64_t base = 0;
  for (size_t d = 0; d < axes.size(); ++d) {
    strides[d] = src_strides[d] * axes[d].step;
    if (axes[d].count > 0) base += src_strides[d] * axes[d].start;
  }
  with_element_type(size_of(src.dtype()), [&](auto tag) {
    using T = decltype(tag);
    const T* s = src.data<T>() + base;
    T* d = dst.data<T>();
    for_each_strided(dst.dims(), {strides},
                     [&](int64_t i, const int64_t* offsets) { d[i] = s[offsets[0]]; });
  });
}

}  // namespace lowp::reference

// Registers the nn op group's reference kernels.
#include "reference/kernel_groups.h"
#include "reference/nn_kernel_list.h"

namespace lowp::reference {

Geometry3d to_3d(const nn::SpatialGeometry& g, const Dims& in_spatial) {
  Geometry3d r;
  const size_t n = in_spatial.size();
  const size_t lead = 3 - n;
  for (size_t i = 0; i < 3; ++i) {
    const bool real = i >= lead;
    const size_t j = i - lead;
    r.in[i] = real ? in_spatial[j] : 1;
    r.out[i] = real ? g.out[j] : 1;
    r.kernel[i] = real ? g.kernel[j] : 1;
    r.stride[i] = real ? g.strides[j] : 1;
    r.dilation[i] = real ? g.dilations[j] : 1;
    r.pad_begin[i] = real ? g.pad_begin[j] : 0;
    r.pad_end[i] = real ? g.pad_end[j] : 0;
  }
  return r;
}

void append_nn_kernels(KernelTable& out) {
  out["Conv"] = conv_kernel;
  out["ConvTranspose"] = conv_transpose_kernel;
  out["MaxPool"] = max_pool_kernel;
  out["AveragePool"] = average_pool_kernel;
  out["GlobalAveragePool"] = global_average_pool_kernel;
  out["GlobalMaxPool"] = global_max_pool_kernel;
  out["Gemm"] = gemm_kernel;
  out["MatMul"] = matmul_kernel;
  out["Einsum"] = einsum_kernel;
  out["BatchNormalization"] = batch_norm_kernel;
  out["LayerNormalization"] = layer_norm_kernel;
  out["Softmax"] = softmax_kernel;
  out["Resize"] = resize_kernel;
  out["Pad"] = pad_kernel;
}

}  // namespace lowp::reference

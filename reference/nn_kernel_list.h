// Internal to the nn op group's reference kernels: each kernel's entry point, registered by
// nn_kernels.cc, plus the 3-D view of 1-D / 2-D / 3-D spatial geometry that conv and pool loops
// use.
#pragma once

#include <vector>

#include "core/ops/nn_geometry.h"
#include "lowp/graph.h"
#include "lowp/tensor.h"
#include "reference/kernel_args.h"

namespace lowp::reference {

// Every kernel has the reference::Kernel signature (KernelInputs / KernelOutputs: kernel_args.h).
// conv.cc, conv_transpose.cc
void conv_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out);
void conv_transpose_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out);
// pool.cc
void max_pool_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out);
void average_pool_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out);
void global_average_pool_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out);
void global_max_pool_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out);
// gemm.cc
void gemm_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out);
void matmul_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out);
// einsum.cc
void einsum_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out);
// batch_norm.cc, softmax.cc, resize.cc, pad.cc
void batch_norm_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out);
void layer_norm_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out);
void softmax_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out);
void resize_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out);
void pad_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out);

// Spatial geometry padded to exactly 3 dims (leading dims of size 1, stride 1, no padding), so one
// loop nest serves 1-D, 2-D and 3-D ops. Index 0 = depth, 1 = height, 2 = width.
struct Geometry3d {
  int64_t in[3];
  int64_t out[3];
  int64_t kernel[3];
  int64_t stride[3];
  int64_t dilation[3];
  int64_t pad_begin[3];
  int64_t pad_end[3];
};
Geometry3d to_3d(const nn::SpatialGeometry& g, const Dims& in_spatial);

}  // namespace lowp::reference

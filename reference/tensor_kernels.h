// Internal to the tensor-manipulation kernel group: the kernels each file defines; tensor_ops.cc
// registers them. All are dtype-generic (they move whole elements) except Cast and Shape.
#pragma once

#include <vector>

#include "reference/kernel_args.h"
#include "lowp/graph.h"
#include "lowp/tensor.h"

namespace lowp::reference {

// reshape_like.cc: Identity, Reshape, Flatten, Squeeze, Unsqueeze (same bytes, new dims), Dropout
// (copy plus an all-true mask) and Shape.
void copy_bytes_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out);
void dropout_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out);
void shape_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out);
// transpose.cc
void transpose_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out);
// concat_split.cc
void concat_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out);
void split_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out);
// slice.cc
void slice_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out);
// gather.cc
void gather_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out);
void scatter_nd_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out);
// cast.cc
void cast_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out);

}  // namespace lowp::reference

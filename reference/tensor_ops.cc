// Registers the tensor-manipulation reference kernels.
#include "reference/kernel_groups.h"
#include "reference/tensor_kernels.h"

namespace lowp::reference {

void append_tensor_kernels(KernelTable& out) {
  out["Identity"] = copy_bytes_kernel;
  out["Reshape"] = copy_bytes_kernel;
  out["Flatten"] = copy_bytes_kernel;
  out["Squeeze"] = copy_bytes_kernel;
  out["Unsqueeze"] = copy_bytes_kernel;
  out["Dropout"] = dropout_kernel;
  out["Shape"] = shape_kernel;
  out["Transpose"] = transpose_kernel;
  out["Concat"] = concat_kernel;
  out["Split"] = split_kernel;
  out["Slice"] = slice_kernel;
  out["Gather"] = gather_kernel;
  out["ScatterND"] = scatter_nd_kernel;
  out["Cast"] = cast_kernel;
}

}  // namespace lowp::reference

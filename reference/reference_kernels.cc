#include "reference/reference_kernels.h"

#include "reference/kernel_groups.h"

namespace lowp::reference {

Kernel find_kernel(const std::string& op_type) {
  static const KernelTable table = [] {
    KernelTable t;
    append_nn_kernels(t);
    append_elementwise_kernels(t);
    append_tensor_kernels(t);
    append_quant_kernels(t);
    append_math_kernels(t);
    append_generator_kernels(t);
    return t;
  }();
  auto it = table.find(op_type);
  return it == table.end() ? nullptr : it->second;
}

}  // namespace lowp::reference

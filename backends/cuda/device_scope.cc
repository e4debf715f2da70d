#include "backends/cuda/device_scope.h"

#include <cuda_runtime.h>

#include <string>

#include "backends/cuda/cuda_check.h"

namespace lowp::cuda {

DeviceScope::DeviceScope(int device) {
  int current = -1;
  check_cuda(cudaGetDevice(&current), "cudaGetDevice");
  if (current == device) return;
  check_cuda(cudaSetDevice(device), "cudaSetDevice(" + std::to_string(device) + ")");
  previous_ = current;
}

DeviceScope::~DeviceScope() {
  if (previous_ >= 0) cudaSetDevice(previous_);
}

}  // namespace lowp::cuda

// CUDA, cuBLASLt and cuDNN status checks: a failure becomes lowp::Error (kBackend) naming the
// failing call or kernel and, where the caller gives one, the node.
#pragma once

#include <cuda_runtime.h>

#include <string>

namespace lowp::cuda {

// Throws when `status` is not cudaSuccess: "<what>: <cuda error name>: <description>".
void check_cuda(cudaError_t status, const std::string& what);
// After a kernel launch: checks cudaGetLastError() and names the kernel.
void check_launch(const char* kernel);
// cuBLAS / cuBLASLt status (cublasStatus_t passed as int to keep cuBLAS headers out of here).
void check_cublas(int status, const std::string& what);

}  // namespace lowp::cuda

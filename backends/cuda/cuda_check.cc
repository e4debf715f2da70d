// CUDA and cuBLAS(Lt) status checks: failures become lowp::Error with ErrorCode::kBackend.
#include "backends/cuda/cuda_check.h"

#include <cublasLt.h>

#include "lowp/error.h"

namespace lowp::cuda {

void check_cuda(cudaError_t status, const std::string& what) {
  if (status == cudaSuccess) return;
  // The failed call also left `status` as this thread's last error: clear it, or the next
  // check_launch would report it as that kernel's failure (sticky errors stay regardless).
  (void)cudaGetLastError();
  throw_error(ErrorCode::kBackend,
              what + ": " + cudaGetErrorName(status) + ": " + cudaGetErrorString(status));
}

void check_launch(const char* kernel) {
  check_cuda(cudaGetLastError(), std::string("kernel ") + kernel);
}

void check_cublas(int status, const std::string& what) {
  const auto s = static_cast<cublasStatus_t>(status);
  if (s == CUBLAS_STATUS_SUCCESS) return;
  // The cuBLASLt variants need only libcublasLt, which the backend links for its GEMMs.
  throw_error(ErrorCode::kBackend, what + ": " + cublasLtGetStatusName(s) + " (" +
                                       std::to_string(status) + "): " + cublasLtGetStatusString(s));
}

}  // namespace lowp::cuda

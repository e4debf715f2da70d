// One cuBLASLt matrix multiply, configured once (descriptors, epilogue, algorithm) and run many
// times: D[m, n] = epilogue(X[m, k] * W[n, k]^T + beta * C[m, n]), all row-major.
//  - X: activations (im2col columns or an NHWC tensor viewed as [n*h*w, c]); W: weights, one row
//    per output channel; D / C: [m, n], i.e. NHWC output.
//  - In cuBLASLt's column-major terms this is D^T = W * X^T with A = W (op T, lda = k), B = X
//    (op N, ldb = k): the "TN" form int8 IMMA requires. k must be a multiple of 4 for int8 (lowp
//    pads it to 16 for every type so rows stay 16-byte aligned).
//  - Types: f32 (optionally TF32 tensor cores), f16 with f32 accumulation, or s8 x s8 -> s32 on
//    int8 tensor cores (no epilogue: lowp's int8 epilogue kernel requantizes per channel).
//  - Bias (type of D) and ReLU run in cuBLASLt's epilogue; beta = 1 adds a residual C.
// The algorithm is chosen at construction by timing cuBLASLt's heuristic candidates on scratch
// buffers (like TensorRT's tactic selection) unless `time_candidates` is false.
#pragma once

#include <cublasLt.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "backends/cuda/tactic_store.h"

namespace lowp::cuda {

enum class GemmType { kF32, kTf32, kF16, kS8 };

struct GemmConfig {
  GemmType type = GemmType::kF32;
  int64_t m = 0, n = 0, k = 0;
  const void* bias = nullptr;  // device, n elements of D's type; null: none
  bool relu = false;
  bool accumulate = false;  // D = ... + C (beta = 1)
};

class LtGemm {
 public:
  // `tactics` (may be null): an algorithm stored for this problem is reused when cuBLASLt
  // accepts it (cublasLtMatmulAlgoCheck); the one chosen otherwise is recorded there.
  LtGemm(cublasLtHandle_t handle, const GemmConfig& config, size_t workspace_limit,
         bool time_candidates, const std::string& what, TacticStore* tactics = nullptr);
  ~LtGemm();
  LtGemm(const LtGemm&) = delete;
  LtGemm& operator=(const LtGemm&) = delete;

  // Asynchronous on `stream`; `c` is read only when config.accumulate.
  void run(cublasLtHandle_t handle, const void* w, const void* x, const void* c, void* d,
           void* workspace, cudaStream_t stream) const;
  size_t workspace_bytes() const { return workspace_bytes_; }
  // "cuBLASLt f16 TN 12544x64x576 algo 21 tile ..., 0.031 ms"
  std::string describe() const;

 private:
  void configure(cublasLtHandle_t handle, size_t workspace_limit, bool time_candidates,
                 TacticStore* tactics);
  bool reuse_stored(cublasLtHandle_t handle, size_t workspace_limit, const std::string& stored);
  void release();
  void read_algo_id();

  GemmConfig config_;
  std::string what_;
  cublasLtMatmulDesc_t desc_ = nullptr;
  cublasLtMatrixLayout_t a_ = nullptr, b_ = nullptr, c_ = nullptr, d_ = nullptr;
  cublasLtMatmulAlgo_t algo_{};
  size_t workspace_bytes_ = 0;
  int algo_id_ = -1;
  float measured_ms_ = -1.f;
  int candidates_ = 0;
  bool from_plan_ = false;
};

size_t element_bytes(GemmType type);         // of A / B
size_t output_element_bytes(GemmType type);  // of C / D

}  // namespace lowp::cuda

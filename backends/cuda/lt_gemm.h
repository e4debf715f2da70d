// One cuBLASLt matrix multiply, configured once (descriptors, epilogue, algorithm) and run many
// times: D[m, n] = epilogue(X[m, k] * W[n, k]^T + beta * C[m, n]), all row-major.
//  - X: activations (im2col columns or an NHWC tensor viewed as [n*h*w, c]); W: weights, one row
//    per output channel; D / C: [m, n], i.e. NHWC output.
//  - In cuBLASLt's column-major terms this is D^T = W * X^T with A = W (op T, lda = k), B = X
//    (op N, ldb = k): the "TN" form int8 IMMA requires. k must be a multiple of 4 for int8 (lowp
//    pads it to 16 for every type so rows stay 16-byte aligned).
//  - Types: f32 (optionally TF32 tensor cores), f16 with f32 accumulation, or s8 x s8 on int8
//    tensor cores (IMMA, s32 accumulation). An s8 GEMM either writes the s32 accumulators (lowp's
//    int8 epilogue kernel then requantizes) or requantizes in cuBLASLt's epilogue: D and C s8,
//    D = saturate(round(scale[j] * acc + residual_scale * C + bias[j])) with a per-output-channel
//    f32 scale vector on the device (pointer mode ALPHA_DEVICE_VECTOR_BETA_*) and an f32 bias
//    (cuBLASLt's bias type for IMMA with s8 C), ReLU before the rounding.
//  - Bias (type of D for floats) and ReLU run in cuBLASLt's epilogue; beta adds a residual C.
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
  const void* bias = nullptr;  // device, n elements of D's type (f32 when requantizing); or null
  bool relu = false;
  bool accumulate = false;  // D = ... + residual_scale * C
  // kS8 only: requantize to s8 in the epilogue with this per-channel scale (device, n floats);
  // null: D is the s32 accumulator and there is no epilogue.
  const float* channel_scale = nullptr;
  float residual_scale = 1.f;  // beta when accumulating
};

// Whether `config` is an s8 GEMM that requantizes in cuBLASLt's epilogue.
inline bool requantizes(const GemmConfig& config) {
  return config.type == GemmType::kS8 && config.channel_scale != nullptr;
}

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

size_t element_bytes(GemmType type);                    // of A / B
size_t output_element_bytes(const GemmConfig& config);  // of C / D

}  // namespace lowp::cuda

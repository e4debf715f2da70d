// A float convolution through cuDNN's fused call (cudnnConvolutionBiasActivationForward):
// y = act(conv(x, w) + z + bias), NHWC activations and KRSC (NHWC) filters, fp32 or fp16 with
// fp32 accumulation on tensor cores. It is the alternative to im2col + cuBLASLt for convolutions
// that cuDNN takes (symmetric padding, an activation of none or ReLU); the lowering times both
// on the device and keeps the faster (program_lowering.cc). The algorithm is chosen by
// cudnnFindConvolutionForwardAlgorithm (timed) within the workspace limit.
#pragma once

#include <cudnn.h>

#include <memory>
#include <string>

#include "backends/cuda/device_memory.h"
#include "backends/cuda/kernels.h"

namespace lowp::cuda {

struct CudnnConvConfig {
  ConvGeometry g;
  int cout = 0;
  DType type = DType::kF32;  // f32 or f16
  bool allow_tf32 = false;
  const void* bias = nullptr;  // device, cout values of `type`; null: zeros
  bool relu = false;
  bool residual = false;  // z input with y's shape
};

class CudnnConv {
 public:
  // Null when cuDNN cannot run this configuration (unsupported padding, type, no algorithm).
  // `algorithm` >= 0: use that one with `math_type` (a choice stored in a plan) instead of
  // searching.
  static std::unique_ptr<CudnnConv> create(cudnnHandle_t handle, const CudnnConvConfig& config,
                                           size_t workspace_limit, const std::string& what,
                                           int algorithm = -1, int math_type = -1);
  ~CudnnConv();
  CudnnConv(const CudnnConv&) = delete;
  CudnnConv& operator=(const CudnnConv&) = delete;

  // Asynchronous on the handle's stream (the caller sets it); z is read only with a residual.
  void run(cudnnHandle_t handle, const void* x, const void* w, const void* z, void* y,
           void* workspace) const;
  size_t workspace_bytes() const { return workspace_bytes_; }
  int algo() const { return static_cast<int>(algo_); }
  int math_type() const { return static_cast<int>(math_); }
  std::string describe() const;  // "cuDNN fused conv algo 1 (implicit precomp GEMM), 0.012 ms"

 private:
  CudnnConv() = default;
  static std::unique_ptr<CudnnConv> finish(std::unique_ptr<CudnnConv> c, const std::string& what);
  void release();

  CudnnConvConfig config_;
  std::string what_;
  cudnnTensorDescriptor_t x_ = nullptr, y_ = nullptr, bias_desc_ = nullptr;
  cudnnFilterDescriptor_t w_ = nullptr;
  cudnnConvolutionDescriptor_t conv_ = nullptr;
  cudnnActivationDescriptor_t act_ = nullptr;
  cudnnConvolutionFwdAlgo_t algo_ = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM;
  cudnnMathType_t math_ = CUDNN_DEFAULT_MATH;
  size_t workspace_bytes_ = 0;
  float measured_ms_ = -1.f;
  DeviceBuffer zero_bias_;  // when the convolution has none
};

// cuDNN status check: throws lowp::Error (kBackend) naming `what`.
void check_cudnn(cudnnStatus_t status, const std::string& what);

}  // namespace lowp::cuda

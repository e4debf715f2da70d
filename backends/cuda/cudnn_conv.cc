#include "backends/cuda/cudnn_conv.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "backends/cuda/cuda_check.h"
#include "lowp/error.h"

namespace lowp::cuda {

void check_cudnn(cudnnStatus_t status, const std::string& what) {
  if (status != CUDNN_STATUS_SUCCESS) {
    throw_error(ErrorCode::kBackend, what + ": " + cudnnGetErrorString(status));
  }
}

std::unique_ptr<CudnnConv> CudnnConv::create(cudnnHandle_t handle, const CudnnConvConfig& config,
                                             size_t workspace_limit, const std::string& what,
                                             int algorithm, int math_type) {
  const ConvGeometry& g = config.g;
  if (config.type != DType::kF32 && config.type != DType::kF16) return nullptr;
  // cuDNN's 2-D descriptor pads both ends alike: only convolutions whose output matches that.
  const int pad_h_end = (g.oh - 1) * g.stride_h + (g.kh - 1) * g.dilation_h + 1 - g.h - g.pad_top;
  const int pad_w_end = (g.ow - 1) * g.stride_w + (g.kw - 1) * g.dilation_w + 1 - g.w - g.pad_left;
  if (pad_h_end > g.pad_top || pad_w_end > g.pad_left) return nullptr;
  std::unique_ptr<CudnnConv> c(new CudnnConv());
  c->config_ = config;
  c->what_ = what;
  const cudnnDataType_t t = config.type == DType::kF16 ? CUDNN_DATA_HALF : CUDNN_DATA_FLOAT;
  auto ok = [](cudnnStatus_t s) { return s == CUDNN_STATUS_SUCCESS; };
  if (!ok(cudnnCreateTensorDescriptor(&c->x_)) || !ok(cudnnCreateTensorDescriptor(&c->y_)) ||
      !ok(cudnnCreateTensorDescriptor(&c->bias_desc_)) ||
      !ok(cudnnCreateFilterDescriptor(&c->w_)) ||
      !ok(cudnnCreateConvolutionDescriptor(&c->conv_)) ||
      !ok(cudnnCreateActivationDescriptor(&c->act_))) {
    return nullptr;
  }
  if (!ok(cudnnSetTensor4dDescriptor(c->x_, CUDNN_TENSOR_NHWC, t, g.n, g.c, g.h, g.w)) ||
      !ok(cudnnSetTensor4dDescriptor(c->y_, CUDNN_TENSOR_NHWC, t, g.n, config.cout, g.oh, g.ow)) ||
      !ok(cudnnSetTensor4dDescriptor(c->bias_desc_, CUDNN_TENSOR_NHWC, t, 1, config.cout, 1, 1)) ||
      !ok(cudnnSetFilter4dDescriptor(c->w_, t, CUDNN_TENSOR_NHWC, config.cout, g.c, g.kh, g.kw)) ||
      !ok(cudnnSetConvolution2dDescriptor(c->conv_, g.pad_top, g.pad_left, g.stride_h, g.stride_w,
                                          g.dilation_h, g.dilation_w, CUDNN_CROSS_CORRELATION,
                                          CUDNN_DATA_FLOAT))) {
    return nullptr;
  }
  // fp16: tensor cores; fp32: FMA only (exact fp32), or DEFAULT (which allows TF32 on sm_80+)
  // with allow_tf32. Never ..._ALLOW_CONVERSION: that may convert fp32 data to fp16.
  auto math_ok = [&](cudnnMathType_t m) {
    if (config.type == DType::kF16) return m == CUDNN_TENSOR_OP_MATH || m == CUDNN_DEFAULT_MATH;
    return m == CUDNN_FMA_MATH || (config.allow_tf32 && m == CUDNN_DEFAULT_MATH);
  };
  const cudnnMathType_t math = config.type == DType::kF16 ? CUDNN_TENSOR_OP_MATH
                               : config.allow_tf32        ? CUDNN_DEFAULT_MATH
                                                          : CUDNN_FMA_MATH;
  if (!ok(cudnnSetConvolutionMathType(c->conv_, math))) return nullptr;
  int n = 0, k = 0, oh = 0, ow = 0;
  if (!ok(cudnnGetConvolution2dForwardOutputDim(c->conv_, c->x_, c->w_, &n, &k, &oh, &ow)) ||
      n != g.n || k != config.cout || oh != g.oh || ow != g.ow) {
    return nullptr;
  }
  if (!ok(cudnnSetActivationDescriptor(
          c->act_, config.relu ? CUDNN_ACTIVATION_RELU : CUDNN_ACTIVATION_IDENTITY,
          CUDNN_NOT_PROPAGATE_NAN, 0.0))) {
    return nullptr;
  }
  // The fused call runs an identity activation only with IMPLICIT_PRECOMP_GEMM.
  // Sets the algorithm and math type and sizes the workspace; false when they do not fit.
  auto take = [&](cudnnConvolutionFwdAlgo_t algo, cudnnMathType_t m, size_t at_least) {
    size_t bytes = 0;
    if (!math_ok(m) || (!config.relu && algo != CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM) ||
        !ok(cudnnSetConvolutionMathType(c->conv_, m)) ||
        !ok(cudnnGetConvolutionForwardWorkspaceSize(handle, c->x_, c->w_, c->conv_, c->y_, algo,
                                                    &bytes))) {
      return false;
    }
    bytes = std::max(bytes, at_least);
    if (bytes > workspace_limit) return false;
    c->algo_ = algo;
    c->math_ = m;
    c->workspace_bytes_ = bytes;
    return true;
  };
  if (algorithm >= 0) {
    if (algorithm >= CUDNN_CONVOLUTION_FWD_ALGO_COUNT || math_type < 0 ||
        !take(static_cast<cudnnConvolutionFwdAlgo_t>(algorithm),
              static_cast<cudnnMathType_t>(math_type), 0)) {
      return nullptr;
    }
    return finish(std::move(c), what);
  }
  std::vector<cudnnConvolutionFwdAlgoPerf_t> perf(CUDNN_CONVOLUTION_FWD_ALGO_COUNT);
  int found = 0;
  if (!ok(cudnnFindConvolutionForwardAlgorithm(handle, c->x_, c->w_, c->conv_, c->y_,
                                               static_cast<int>(perf.size()), &found,
                                               perf.data()))) {
    return nullptr;
  }
  // Each result was timed with its own math type (the descriptor's or DEFAULT): run it with that.
  for (int i = 0; i < found; ++i) {  // sorted fastest first
    const auto& p = perf[i];
    if (p.status != CUDNN_STATUS_SUCCESS || !take(p.algo, p.mathType, p.memory)) continue;
    c->measured_ms_ = p.time;
    return finish(std::move(c), what);
  }
  return nullptr;
}

std::unique_ptr<CudnnConv> CudnnConv::finish(std::unique_ptr<CudnnConv> c,
                                             const std::string& what) {
  if (!c->config_.bias) {
    const size_t bytes =
        static_cast<size_t>(c->config_.cout) * (c->config_.type == DType::kF16 ? 2 : 4);
    c->zero_bias_ = DeviceBuffer(bytes, what + " zero bias");
    // Complete before any (non-blocking) context stream reads it.
    check_cuda(cudaMemsetAsync(c->zero_bias_.get(), 0, bytes, nullptr), what + ": cudaMemset");
    check_cuda(cudaStreamSynchronize(nullptr), what + ": cudaMemset");
  }
  return c;
}

CudnnConv::~CudnnConv() { release(); }

void CudnnConv::release() {
  if (act_) cudnnDestroyActivationDescriptor(act_);
  if (conv_) cudnnDestroyConvolutionDescriptor(conv_);
  if (w_) cudnnDestroyFilterDescriptor(w_);
  if (bias_desc_) cudnnDestroyTensorDescriptor(bias_desc_);
  if (y_) cudnnDestroyTensorDescriptor(y_);
  if (x_) cudnnDestroyTensorDescriptor(x_);
  act_ = nullptr;
  conv_ = nullptr;
  w_ = nullptr;
  bias_desc_ = nullptr;
  y_ = x_ = nullptr;
}

void CudnnConv::run(cudnnHandle_t handle, const void* x, const void* w, const void* z, void* y,
                    void* workspace) const {
  const float one = 1.f, zero = 0.f;
  const void* bias = config_.bias ? config_.bias : zero_bias_.get();
  check_cudnn(cudnnConvolutionBiasActivationForward(
                  handle, &one, x_, x, w_, w, conv_, algo_, workspace, workspace_bytes_,
                  config_.residual ? &one : &zero, y_, config_.residual ? z : y, bias_desc_, bias,
                  act_, y_, y),
              what_ + ": cudnnConvolutionBiasActivationForward");
}

std::string CudnnConv::describe() const {
  char buf[128];
  if (measured_ms_ >= 0.f) {
    std::snprintf(buf, sizeof(buf), "cuDNN fused conv (algo %d, math %d, %.3f ms when chosen)",
                  static_cast<int>(algo_), static_cast<int>(math_), measured_ms_);
  } else {
    std::snprintf(buf, sizeof(buf), "cuDNN fused conv (algo %d, math %d)", static_cast<int>(algo_),
                  static_cast<int>(math_));
  }
  std::string s = buf;
  if (config_.relu) s += " +relu";
  if (config_.residual) s += " +residual";
  return s;
}

}  // namespace lowp::cuda

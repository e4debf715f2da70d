// Host emulation of the cuDNN functions the CUDA backend calls: descriptors, the (timed)
// algorithm search and the fused convolution
//   y = act(alpha1 * conv(x, w) + alpha2 * z + bias)
// as cuDNN documents it: NCHW or NHWC tensors, KCRS (NCHW) or KRSC (NHWC) filters, symmetric
// padding, stride, dilation, cross-correlation or convolution (flipped filter), f32 or f16 data
// with f32 accumulation (f16 bias with f16 data), TF32 rounding of f32 inputs unless the math type
// is CUDNN_FMA_MATH, z not read when alpha2 is 0, activation ReLU or identity (identity only with
// IMPLICIT_PRECOMP_GEMM, as cuDNN requires). Work runs on the handle's stream (cudnnSetStream),
// so it is captured into CUDA graphs like a kernel. The algorithm search runs nothing; it reports
// candidates whose emulated times scale with set_cudnn_speed().
#include <cudnn.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "lowp/dtype.h"
#include "tests/cuda_emulation/emulated_stream.h"

struct cudnnContext {
  cudaStream_t stream = nullptr;
};

struct cudnnTensorStruct {
  bool set = false;
  cudnnTensorFormat_t format = CUDNN_TENSOR_NCHW;
  cudnnDataType_t type = CUDNN_DATA_FLOAT;
  int n = 0, c = 0, h = 0, w = 0;
};

struct cudnnFilterStruct {
  bool set = false;
  cudnnDataType_t type = CUDNN_DATA_FLOAT;
  cudnnTensorFormat_t format = CUDNN_TENSOR_NCHW;
  int k = 0, c = 0, h = 0, w = 0;
};

struct cudnnConvolutionStruct {
  bool set = false;
  int pad_h = 0, pad_w = 0, stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  cudnnConvolutionMode_t mode = CUDNN_CROSS_CORRELATION;
  cudnnDataType_t compute = CUDNN_DATA_FLOAT;
  cudnnMathType_t math = CUDNN_DEFAULT_MATH;
};

struct cudnnActivationStruct {
  bool set = false;
  cudnnActivationMode_t mode = CUDNN_ACTIVATION_RELU;
  cudnnNanPropagation_t nan = CUDNN_NOT_PROPAGATE_NAN;
  double coef = 0.0;
};

namespace {

namespace emu = lowp::cuda_emulation;

std::mutex mutex;
std::set<const void*>& live() {
  static auto* s = new std::set<const void*>;
  return *s;
}

bool is_live(const void* p) {
  std::lock_guard<std::mutex> lock(mutex);
  return p && live().count(p);
}

template <typename T>
cudnnStatus_t create(T** out, bool handle = false) {
  if (!out) return CUDNN_STATUS_BAD_PARAM;
  *out = new T;
  std::lock_guard<std::mutex> lock(mutex);
  live().insert(*out);
  emu::add_to_counter(handle ? &emu::Counters::live_dnn_handles : &emu::Counters::live_dnn_objects);
  return CUDNN_STATUS_SUCCESS;
}

template <typename T>
cudnnStatus_t destroy(T* p, bool handle = false) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (!p || !live().erase(p)) return CUDNN_STATUS_BAD_PARAM;
  }
  delete p;
  emu::add_to_counter(handle ? &emu::Counters::live_dnn_handles : &emu::Counters::live_dnn_objects,
                      -1);
  return CUDNN_STATUS_SUCCESS;
}

size_t type_bytes(cudnnDataType_t t) {
  return t == CUDNN_DATA_FLOAT ? 4 : t == CUDNN_DATA_HALF ? 2 : 0;
}

int64_t tensor_index(const cudnnTensorStruct& t, int n, int c, int h, int w) {
  return t.format == CUDNN_TENSOR_NHWC ? ((int64_t{n} * t.h + h) * t.w + w) * t.c + c
                                       : ((int64_t{n} * t.c + c) * t.h + h) * t.w + w;
}

int64_t filter_index(const cudnnFilterStruct& f, int k, int c, int r, int s) {
  return f.format == CUDNN_TENSOR_NHWC ? ((int64_t{k} * f.h + r) * f.w + s) * f.c + c
                                       : ((int64_t{k} * f.c + c) * f.h + r) * f.w + s;
}

int64_t elements(const cudnnTensorStruct& t) { return int64_t{t.n} * t.c * t.h * t.w; }

float load(const void* p, cudnnDataType_t t, int64_t i) {
  return t == CUDNN_DATA_HALF ? lowp::half_to_float(static_cast<const uint16_t*>(p)[i])
                              : static_cast<const float*>(p)[i];
}

int output_dim(int in, int pad, int k, int dilation, int stride) {
  return 1 + (in + 2 * pad - ((k - 1) * dilation + 1)) / stride;
}

// The algorithms the search reports, with emulated relative times and workspace needs.
struct AlgoInfo {
  cudnnConvolutionFwdAlgo_t algo;
  double relative_time;
};
constexpr AlgoInfo kAlgos[] = {
    {CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD, 0.8},  // 3x3, stride 1, no dilation only
    {CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, 1.0},
    {CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, 1.25},
    {CUDNN_CONVOLUTION_FWD_ALGO_GEMM, 1.6},
};

bool algo_applies(cudnnConvolutionFwdAlgo_t algo, const cudnnFilterStruct& f,
                  const cudnnConvolutionStruct& conv) {
  if (algo != CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD) return true;
  return f.h == 3 && f.w == 3 && conv.stride_h == 1 && conv.stride_w == 1 && conv.dilation_h == 1 &&
         conv.dilation_w == 1;
}

double relative_time(cudnnConvolutionFwdAlgo_t algo) {
  for (const AlgoInfo& a : kAlgos) {
    if (a.algo == algo) return a.relative_time;
  }
  return 2.0;
}

// Workspace each algorithm asks for: GEMM materialises the columns, PRECOMP GEMM an index table.
size_t workspace_for(cudnnConvolutionFwdAlgo_t algo, const cudnnTensorStruct& y,
                     const cudnnFilterStruct& f) {
  const size_t columns = static_cast<size_t>(y.n) * y.h * y.w * f.c * f.h * f.w;
  switch (algo) {
    case CUDNN_CONVOLUTION_FWD_ALGO_GEMM:
      return columns * type_bytes(f.type);
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM:
      return static_cast<size_t>(f.c) * f.h * f.w * 8 + 256;
    default:
      return 0;
  }
}

double cost_ms(const cudnnTensorStruct& y, const cudnnFilterStruct& f,
               cudnnConvolutionFwdAlgo_t algo) {
  const double macs = double(y.n) * y.h * y.w * y.c * double(f.c) * f.h * f.w;
  return 1e-3 + 1e-9 * macs * emu::cudnn_speed() * relative_time(algo);
}

bool same_shape(const cudnnTensorStruct& a, const cudnnTensorStruct& b) {
  return a.format == b.format && a.type == b.type && a.n == b.n && a.c == b.c && a.h == b.h &&
         a.w == b.w;
}

// Checks x, w, conv and y against each other; cudnnStatus_t of the first problem found.
cudnnStatus_t check_convolution(const cudnnTensorStruct* x, const cudnnFilterStruct* w,
                                const cudnnConvolutionStruct* conv, const cudnnTensorStruct* y) {
  if (!is_live(x) || !is_live(w) || !is_live(conv) || !is_live(y)) return CUDNN_STATUS_BAD_PARAM;
  if (!x->set || !w->set || !conv->set || !y->set) return CUDNN_STATUS_BAD_PARAM;
  if (x->type != w->type || x->type != y->type || x->c != w->c || y->c != w->k || x->n != y->n) {
    return CUDNN_STATUS_BAD_PARAM;
  }
  if (y->h != output_dim(x->h, conv->pad_h, w->h, conv->dilation_h, conv->stride_h) ||
      y->w != output_dim(x->w, conv->pad_w, w->w, conv->dilation_w, conv->stride_w)) {
    return CUDNN_STATUS_BAD_PARAM;
  }
  if (conv->compute != CUDNN_DATA_FLOAT && conv->compute != x->type) {
    return CUDNN_STATUS_NOT_SUPPORTED;
  }
  return CUDNN_STATUS_SUCCESS;
}

}  // namespace

extern "C" {

const char* cudnnGetErrorString(cudnnStatus_t status) {
  switch (status) {
    case CUDNN_STATUS_SUCCESS:
      return "CUDNN_STATUS_SUCCESS";
    case CUDNN_STATUS_NOT_INITIALIZED:
      return "CUDNN_STATUS_NOT_INITIALIZED";
    case CUDNN_STATUS_BAD_PARAM:
      return "CUDNN_STATUS_BAD_PARAM";
    case CUDNN_STATUS_NOT_SUPPORTED:
      return "CUDNN_STATUS_NOT_SUPPORTED";
    case CUDNN_STATUS_EXECUTION_FAILED:
      return "CUDNN_STATUS_EXECUTION_FAILED";
    default:
      return "CUDNN_STATUS_INTERNAL_ERROR (lowp CUDA emulation)";
  }
}

cudnnStatus_t cudnnCreate(cudnnHandle_t* handle) {
  if (emu::cudnn_speed() <= 0.0) return CUDNN_STATUS_NOT_INITIALIZED;  // "no cuDNN"
  return create(handle, true);
}

cudnnStatus_t cudnnDestroy(cudnnHandle_t handle) { return destroy(handle, true); }

cudnnStatus_t cudnnSetStream(cudnnHandle_t handle, cudaStream_t stream) {
  if (!is_live(handle)) return CUDNN_STATUS_BAD_PARAM;
  handle->stream = stream;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnCreateTensorDescriptor(cudnnTensorDescriptor_t* d) { return create(d); }
cudnnStatus_t cudnnDestroyTensorDescriptor(cudnnTensorDescriptor_t d) { return destroy(d); }
cudnnStatus_t cudnnCreateFilterDescriptor(cudnnFilterDescriptor_t* d) { return create(d); }
cudnnStatus_t cudnnDestroyFilterDescriptor(cudnnFilterDescriptor_t d) { return destroy(d); }
cudnnStatus_t cudnnCreateConvolutionDescriptor(cudnnConvolutionDescriptor_t* d) {
  return create(d);
}
cudnnStatus_t cudnnDestroyConvolutionDescriptor(cudnnConvolutionDescriptor_t d) {
  return destroy(d);
}
cudnnStatus_t cudnnCreateActivationDescriptor(cudnnActivationDescriptor_t* d) { return create(d); }
cudnnStatus_t cudnnDestroyActivationDescriptor(cudnnActivationDescriptor_t d) { return destroy(d); }

cudnnStatus_t cudnnSetTensor4dDescriptor(cudnnTensorDescriptor_t d, cudnnTensorFormat_t format,
                                         cudnnDataType_t type, int n, int c, int h, int w) {
  if (!is_live(d) || n <= 0 || c <= 0 || h <= 0 || w <= 0 || type_bytes(type) == 0 ||
      (format != CUDNN_TENSOR_NCHW && format != CUDNN_TENSOR_NHWC)) {
    return CUDNN_STATUS_BAD_PARAM;
  }
  *d = {true, format, type, n, c, h, w};
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetFilter4dDescriptor(cudnnFilterDescriptor_t d, cudnnDataType_t type,
                                         cudnnTensorFormat_t format, int k, int c, int h, int w) {
  if (!is_live(d) || k <= 0 || c <= 0 || h <= 0 || w <= 0 || type_bytes(type) == 0 ||
      (format != CUDNN_TENSOR_NCHW && format != CUDNN_TENSOR_NHWC)) {
    return CUDNN_STATUS_BAD_PARAM;
  }
  *d = {true, type, format, k, c, h, w};
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetConvolution2dDescriptor(cudnnConvolutionDescriptor_t d, int pad_h, int pad_w,
                                              int u, int v, int dilation_h, int dilation_w,
                                              cudnnConvolutionMode_t mode,
                                              cudnnDataType_t compute) {
  if (!is_live(d) || pad_h < 0 || pad_w < 0 || u <= 0 || v <= 0 || dilation_h <= 0 ||
      dilation_w <= 0 || type_bytes(compute) == 0) {
    return CUDNN_STATUS_BAD_PARAM;
  }
  const cudnnMathType_t math = d->math;
  *d = {true, pad_h, pad_w, u, v, dilation_h, dilation_w, mode, compute, math};
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetConvolutionMathType(cudnnConvolutionDescriptor_t d, cudnnMathType_t math) {
  if (!is_live(d)) return CUDNN_STATUS_BAD_PARAM;
  d->math = math;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnGetConvolution2dForwardOutputDim(const cudnnConvolutionDescriptor_t conv,
                                                    const cudnnTensorDescriptor_t x,
                                                    const cudnnFilterDescriptor_t w, int* n, int* c,
                                                    int* h, int* wd) {
  if (!is_live(conv) || !is_live(x) || !is_live(w) || !n || !c || !h || !wd) {
    return CUDNN_STATUS_BAD_PARAM;
  }
  if (!conv->set || !x->set || !w->set || x->c != w->c) return CUDNN_STATUS_BAD_PARAM;
  *n = x->n;
  *c = w->k;
  *h = output_dim(x->h, conv->pad_h, w->h, conv->dilation_h, conv->stride_h);
  *wd = output_dim(x->w, conv->pad_w, w->w, conv->dilation_w, conv->stride_w);
  return *h > 0 && *wd > 0 ? CUDNN_STATUS_SUCCESS : CUDNN_STATUS_BAD_PARAM;
}

cudnnStatus_t cudnnSetActivationDescriptor(cudnnActivationDescriptor_t d,
                                           cudnnActivationMode_t mode, cudnnNanPropagation_t nan,
                                           double coef) {
  if (!is_live(d)) return CUDNN_STATUS_BAD_PARAM;
  *d = {true, mode, nan, coef};
  return CUDNN_STATUS_SUCCESS;
}

// cuDNN runs every algorithm on buffers it allocates itself (cudaMalloc, so not while capturing);
// the emulation allocates the largest workspace to get the same restrictions and runs nothing.
cudnnStatus_t cudnnFindConvolutionForwardAlgorithm(
    cudnnHandle_t handle, const cudnnTensorDescriptor_t x, const cudnnFilterDescriptor_t w,
    const cudnnConvolutionDescriptor_t conv, const cudnnTensorDescriptor_t y, int requested,
    int* returned, cudnnConvolutionFwdAlgoPerf_t* results) {
  if (!is_live(handle) || requested <= 0 || !returned || !results) return CUDNN_STATUS_BAD_PARAM;
  emu::add_to_counter(&emu::Counters::algorithm_searches);
  const emu::LibraryCall library;
  if (cudnnStatus_t s = check_convolution(x, w, conv, y)) return s;
  size_t largest = 0;
  for (const AlgoInfo& a : kAlgos) largest = std::max(largest, workspace_for(a.algo, *y, *w));
  void* scratch = nullptr;
  if (cudaMalloc(&scratch, largest) != cudaSuccess) return CUDNN_STATUS_EXECUTION_FAILED;
  cudaFree(scratch);
  // The math type an algorithm reports: f32 data uses TF32 tensor cores unless FMA was asked for.
  const cudnnMathType_t math = x->type == CUDNN_DATA_HALF ? CUDNN_TENSOR_OP_MATH
                               : conv->math == CUDNN_FMA_MATH
                                   ? CUDNN_FMA_MATH
                                   : CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
  *returned = 0;
  for (const AlgoInfo& a : kAlgos) {  // listed fastest first
    if (*returned == requested) break;
    if (!algo_applies(a.algo, *w, *conv)) continue;
    cudnnConvolutionFwdAlgoPerf_t& r = results[(*returned)++];
    r = cudnnConvolutionFwdAlgoPerf_t{};
    r.algo = a.algo;
    r.status = CUDNN_STATUS_SUCCESS;
    r.time = static_cast<float>(cost_ms(*y, *w, a.algo));
    r.memory = workspace_for(a.algo, *y, *w);
    r.determinism = CUDNN_DETERMINISTIC;
    r.mathType = math;
  }
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnGetConvolutionForwardWorkspaceSize(
    cudnnHandle_t handle, const cudnnTensorDescriptor_t x, const cudnnFilterDescriptor_t w,
    const cudnnConvolutionDescriptor_t conv, const cudnnTensorDescriptor_t y,
    cudnnConvolutionFwdAlgo_t algo, size_t* bytes) {
  if (!is_live(handle) || !bytes) return CUDNN_STATUS_BAD_PARAM;
  if (cudnnStatus_t s = check_convolution(x, w, conv, y)) return s;
  if (!algo_applies(algo, *w, *conv)) return CUDNN_STATUS_NOT_SUPPORTED;
  *bytes = workspace_for(algo, *y, *w);
  return CUDNN_STATUS_SUCCESS;
}

size_t cudnnGetVersion() { return 91900; }

cudnnStatus_t cudnnConvolutionBiasActivationForward(
    cudnnHandle_t handle, const void* alpha1, const cudnnTensorDescriptor_t x_desc, const void* x,
    const cudnnFilterDescriptor_t w_desc, const void* w,
    const cudnnConvolutionDescriptor_t conv_desc, cudnnConvolutionFwdAlgo_t algo, void* workspace,
    size_t workspace_bytes, const void* alpha2, const cudnnTensorDescriptor_t z_desc, const void* z,
    const cudnnTensorDescriptor_t bias_desc, const void* bias,
    const cudnnActivationDescriptor_t act_desc, const cudnnTensorDescriptor_t y_desc, void* y) {
  if (!is_live(handle) || !alpha1 || !alpha2 || !x || !w || !y || !bias) {
    return CUDNN_STATUS_BAD_PARAM;
  }
  const emu::LibraryCall library;
  if (cudnnStatus_t s = check_convolution(x_desc, w_desc, conv_desc, y_desc)) return s;
  if (!is_live(z_desc) || !is_live(bias_desc) || !is_live(act_desc) || !act_desc->set ||
      !bias_desc->set || !z_desc->set) {
    return CUDNN_STATUS_BAD_PARAM;
  }
  const cudnnTensorStruct xs = *x_desc, ys = *y_desc, zs = *z_desc, bs = *bias_desc;
  const cudnnFilterStruct ws = *w_desc;
  const cudnnConvolutionStruct cs = *conv_desc;
  const cudnnActivationStruct as = *act_desc;
  if (!same_shape(zs, ys) || bs.n != 1 || bs.h != 1 || bs.w != 1 || bs.c != ys.c ||
      bs.type != ys.type) {
    return CUDNN_STATUS_BAD_PARAM;
  }
  if (as.mode != CUDNN_ACTIVATION_RELU && as.mode != CUDNN_ACTIVATION_IDENTITY) {
    return CUDNN_STATUS_NOT_SUPPORTED;
  }
  if (as.mode == CUDNN_ACTIVATION_IDENTITY &&
      algo != CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM) {
    return CUDNN_STATUS_NOT_SUPPORTED;
  }
  if (!algo_applies(algo, ws, cs)) return CUDNN_STATUS_NOT_SUPPORTED;
  const size_t need = workspace_for(algo, ys, ws);
  if (workspace_bytes < need || (need > 0 && !workspace)) return CUDNN_STATUS_BAD_PARAM;
  const float a1 = *static_cast<const float*>(alpha1), a2 = *static_cast<const float*>(alpha2);
  if (a2 != 0.f && !z) return CUDNN_STATUS_BAD_PARAM;
  const bool tf32 = xs.type == CUDNN_DATA_FLOAT && cs.math != CUDNN_FMA_MATH;
  const cudnnDataType_t t = xs.type;
  const size_t es = type_bytes(t);
  const cudaError_t e = emu::enqueue(
      handle->stream, "cudnnConvolutionBiasActivationForward algo " + std::to_string(algo),
      [=] {
        const void* in = emu::device_span(x, elements(xs) * es, "x");
        const void* filter =
            emu::device_span(w, static_cast<size_t>(ws.k) * ws.c * ws.h * ws.w * es, "w");
        const void* zz = a2 != 0.f ? emu::device_span(z, elements(zs) * es, "z") : nullptr;
        const void* b = emu::device_span(bias, static_cast<size_t>(bs.c) * es, "bias");
        void* out = emu::device_span(y, elements(ys) * es, "y");
        if (need > 0) std::memset(emu::device_span(workspace, need, "workspace"), 0x7f, need);
        auto in_value = [&](float v) { return tf32 ? emu::round_to_tf32(v) : v; };
        // Filters as rows of (r, s, c), flipped for true convolution.
        const int64_t taps = int64_t{ws.h} * ws.w * ws.c;
        std::vector<float> rows(static_cast<size_t>(ws.k * taps));
        for (int k = 0; k < ws.k; ++k) {
          for (int r = 0; r < ws.h; ++r) {
            for (int s = 0; s < ws.w; ++s) {
              for (int c = 0; c < ws.c; ++c) {
                const int fr = cs.mode == CUDNN_CONVOLUTION ? ws.h - 1 - r : r;
                const int fs = cs.mode == CUDNN_CONVOLUTION ? ws.w - 1 - s : s;
                rows[static_cast<size_t>(k * taps + (int64_t{r} * ws.w + s) * ws.c + c)] =
                    in_value(load(filter, t, filter_index(ws, k, c, fr, fs)));
              }
            }
          }
        }
        const int64_t pixels = int64_t{ys.n} * ys.h * ys.w;
#pragma omp parallel for schedule(dynamic, 16)
        for (int64_t p = 0; p < pixels; ++p) {
          const int n = static_cast<int>(p / (int64_t{ys.h} * ys.w));
          const int oy = static_cast<int>(p / ys.w % ys.h), ox = static_cast<int>(p % ys.w);
          std::vector<float> patch(static_cast<size_t>(taps), 0.f);
          for (int r = 0; r < ws.h; ++r) {
            const int iy = oy * cs.stride_h - cs.pad_h + r * cs.dilation_h;
            if (iy < 0 || iy >= xs.h) continue;
            for (int s = 0; s < ws.w; ++s) {
              const int ix = ox * cs.stride_w - cs.pad_w + s * cs.dilation_w;
              if (ix < 0 || ix >= xs.w) continue;
              for (int c = 0; c < ws.c; ++c) {
                patch[static_cast<size_t>((int64_t{r} * ws.w + s) * ws.c + c)] =
                    in_value(load(in, t, tensor_index(xs, n, c, iy, ix)));
              }
            }
          }
          for (int k = 0; k < ws.k; ++k) {
            const float* row = &rows[static_cast<size_t>(k * taps)];
            float acc[8] = {};
            int64_t q = 0;
            for (; q + 8 <= taps; q += 8) {
              for (int l = 0; l < 8; ++l) acc[l] += row[q + l] * patch[static_cast<size_t>(q + l)];
            }
            float sum = 0.f;
            for (; q < taps; ++q) sum += row[q] * patch[static_cast<size_t>(q)];
            for (float v : acc) sum += v;
            const int64_t o = tensor_index(ys, n, k, oy, ox);
            float v = a1 * sum;
            if (zz) v += a2 * load(zz, t, tensor_index(zs, n, k, oy, ox));
            v += load(b, t, k);
            if (as.mode == CUDNN_ACTIVATION_RELU) v = std::max(v, 0.f);
            if (t == CUDNN_DATA_HALF) {
              static_cast<uint16_t*>(out)[o] = lowp::float_to_half(v);
            } else {
              static_cast<float*>(out)[o] = v;
            }
          }
        }
        emu::add_to_counter(&emu::Counters::dnn_convolutions);
      },
      cost_ms(ys, ws, algo));
  return e == cudaSuccess ? CUDNN_STATUS_SUCCESS : CUDNN_STATUS_EXECUTION_FAILED;
}

}  // extern "C"

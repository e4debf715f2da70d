// CUDA kernels of the CUDA backend: plain launchers over raw device pointers. They know nothing of
// the IR; the lowering (cuda_lowering.cc) decides layouts, dtypes and quantization parameters.
//
// Conventions
//  - Activations are NHWC ("channels last"); a 4-D tensor [n, h, w, c] is row-major with c fastest.
//    A 2-D tensor [m, c] is the same thing with h = w = 1.
//  - Element types: float, __half (passed as void* with a DType tag) and int8.
//  - int8 activations are always stored signed. A u8 value q with zero point z is stored as
//    q - 128 with zero point z - 128, so every kernel sees s8 data with an int zero point.
//    real = (q - zp) * scale.
//  - Every launcher runs asynchronously on `stream` and checks the launch (cudaGetLastError),
//    throwing lowp::Error naming the kernel on failure. None of them synchronises or allocates.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace lowp::cuda {

enum class DType { kF32, kF16, kS8, kS32 };

// Element-wise activation applied after bias / residual. kClip: min(max(x, lo), hi); kRelu:
// max(x, 0); kLeakyRelu: x < 0 ? alpha * x : x (alpha in lo).
enum class Act { kNone, kRelu, kClip, kLeakyRelu };
struct Activation {
  Act kind = Act::kNone;
  float lo = 0.f;
  float hi = 0.f;
};

// Per-tensor quantization of an int8 tensor (s8 storage, see above).
struct QuantS8 {
  float scale = 1.f;
  int zero_point = 0;
};

// ---- layout at the graph edges -----------------------------------------------------------------
// NCHW (src_type) -> NHWC (dst_type), converting f32 <-> f16 on the way.
void nchw_to_nhwc(const void* src, DType src_type, void* dst, DType dst_type, int n, int c, int h,
                  int w, cudaStream_t stream);
// NHWC -> NCHW likewise.
void nhwc_to_nchw(const void* src, DType src_type, void* dst, DType dst_type, int n, int c, int h,
                  int w, cudaStream_t stream);
// Element type conversion f32 <-> f16 (same layout), `count` elements.
void convert(const void* src, DType src_type, void* dst, DType dst_type, int64_t count,
             cudaStream_t stream);

// ---- quantization ------------------------------------------------------------------------------
// q = clamp(round_half_to_even(x / scale) + zp, -128, 127); src f32 or f16.
void quantize(const void* src, DType src_type, int8_t* dst, QuantS8 q, int64_t count,
              cudaStream_t stream);
// x = (q - zp) * scale; dst f32 or f16.
void dequantize(const int8_t* src, QuantS8 q, void* dst, DType dst_type, int64_t count,
                cudaStream_t stream);

// ---- convolution as GEMM -----------------------------------------------------------------------
// im2col for an NHWC input: cols is [n * oh * ow, k_padded] row-major with column index
// (kh * kw_size + kw) * c + ci for ci < c, i.e. ordered (kh, kw, c); columns k >= kh*kw*c up to
// k_padded are zero. Out-of-image taps get `pad_value` (0 for floats; the zero point for int8).
// Element size from `type` (f32, f16 or s8). Output position (oy, ox) reads input
// (oy * stride_h - pad_top + ky * dilation_h, ox * stride_w - pad_left + kx * dilation_w).
struct ConvGeometry {
  int n, h, w, c;  // input
  int oh, ow;      // output spatial
  int kh, kw;      // kernel
  int stride_h, stride_w;
  int pad_top, pad_left;
  int dilation_h, dilation_w;
};
void im2col_nhwc(const void* src, DType type, void* cols, const ConvGeometry& g, int k_padded,
                 int pad_value, cudaStream_t stream);

// Float epilogue, in place on y [m, c] (f32 or f16): y = act(y + bias[c] + residual), bias f32
// (may be null), residual of y's type and shape (may be null). Used when cuBLASLt's own epilogue
// (bias + ReLU) cannot express the activation.
void bias_residual_act(void* y, DType type, const float* bias, const void* residual, int64_t m,
                       int c, Activation act, cudaStream_t stream);

// int8 epilogue: acc [m, c] int32 (rows acc_ld apart) from an s8 x s8 GEMM (sum over k of w[c][k] *
// xq[k], xq the stored s8 input including its zero point). For each element:
//   v = (acc - x_zp * w_sum[c] + bias[c]) * (x_scale * w_scale[c])   (w_sum, bias int32 per c)
//   v += residual ? (res_q - res.zero_point) * res.scale : 0        (residual s8 [m, c])
//   v = act(v)
//   out: s8 quantize with `out_q` (out_type kS8), or store v as f32 / f16.
struct Int8Epilogue {
  const int32_t* w_sum = nullptr;  // per output channel: sum_k w[c][k]
  const int32_t* bias = nullptr;   // per output channel, at scale x_scale * w_scale[c]; may be null
  const float* w_scale = nullptr;  // per output channel
  float x_scale = 1.f;
  int x_zero_point = 0;
  const int8_t* residual = nullptr;  // may be null
  QuantS8 residual_q;
  Activation act;
  DType out_type = DType::kS8;
  QuantS8 out_q;
  int64_t acc_ld = 0;  // row stride of acc in elements, >= c (0: c); int8 GEMMs pad n to 4
};
void int8_epilogue(const int32_t* acc, void* out, int64_t m, int c, const Int8Epilogue& e,
                   cudaStream_t stream);

// ---- pooling -----------------------------------------------------------------------------------
// NHWC pooling, f32 / f16 / s8. Max pooling on s8 works on the stored values (monotonic).
// Average pooling: count_include_pad decides the divisor at the borders; for s8 the input is
// dequantized with in_q and the result requantized with out_q (ignored for floats).
struct PoolGeometry {
  int n, h, w, c;
  int oh, ow;
  int kh, kw;
  int stride_h, stride_w;
  int pad_top, pad_left;
  int dilation_h, dilation_w;
};
void max_pool_nhwc(const void* src, DType type, void* dst, const PoolGeometry& g,
                   cudaStream_t stream);
void avg_pool_nhwc(const void* src, DType type, void* dst, const PoolGeometry& g,
                   bool count_include_pad, QuantS8 in_q, QuantS8 out_q, cudaStream_t stream);
// Global average pooling [n, h, w, c] -> [n, c], f32 accumulation; s8 as avg_pool_nhwc.
void global_avg_pool_nhwc(const void* src, DType type, void* dst, int n, int hw, int c,
                          QuantS8 in_q, QuantS8 out_q, cudaStream_t stream);

// ---- element-wise ------------------------------------------------------------------------------
// out = act(a + b), same type and count for a, b and out (f32 / f16); for s8 both inputs are
// dequantized with a_q / b_q and the sum requantized with out_q.
void add_act(const void* a, QuantS8 a_q, const void* b, QuantS8 b_q, void* out, QuantS8 out_q,
             DType type, int64_t count, Activation act, cudaStream_t stream);
// out = act(x), f32 / f16 (s8: on the dequantized value, requantized with the same params).
void activation(const void* x, void* out, DType type, int64_t count, Activation act, QuantS8 q,
                cudaStream_t stream);
// Softmax over the last dimension of [rows, cols], f32 in and out, numerically stable
// (subtract the row max), one block per row.
void softmax_rows(const float* x, float* out, int rows, int cols, cudaStream_t stream);

}  // namespace lowp::cuda

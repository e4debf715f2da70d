// Host implementations of backends/cuda/kernels.h, written from the semantics that header
// documents (not from the .cu files). Each launcher checks its arguments as a kernel launch would
// (a bad one is a launch error that check_launch turns into lowp::Error naming the kernel) and
// enqueues the work on its stream; device pointers are translated, and checked to lie inside live
// device allocations for the extent the kernel touches, when the work runs.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/kernels.h"
#include "lowp/dtype.h"
#include "tests/cuda_emulation/emulated_stream.h"

namespace lowp::cuda {
namespace {

namespace emu = lowp::cuda_emulation;

size_t bytes_of(DType t) {
  switch (t) {
    case DType::kF32:
    case DType::kS32:
      return 4;
    case DType::kF16:
      return 2;
    case DType::kS8:
      return 1;
  }
  return 0;
}

bool is_float(DType t) { return t == DType::kF32 || t == DType::kF16; }

float load(const void* p, DType t, int64_t i) {
  switch (t) {
    case DType::kF32:
      return static_cast<const float*>(p)[i];
    case DType::kF16:
      return half_to_float(static_cast<const uint16_t*>(p)[i]);
    case DType::kS8:
      return static_cast<const int8_t*>(p)[i];
    case DType::kS32:
      return static_cast<float>(static_cast<const int32_t*>(p)[i]);
  }
  return 0.f;
}

void store_float(void* p, DType t, int64_t i, float v) {
  if (t == DType::kF16) {
    static_cast<uint16_t*>(p)[i] = float_to_half(v);
  } else {
    static_cast<float*>(p)[i] = v;
  }
}

int8_t quantize_value(float x, QuantS8 q) {
  const float r = std::nearbyint(x / q.scale) + static_cast<float>(q.zero_point);
  return static_cast<int8_t>(std::min(127.f, std::max(-128.f, r)));
}

float dequantize_value(int8_t v, QuantS8 q) {
  return static_cast<float>(int{v} - q.zero_point) * q.scale;
}

float apply(const Activation& act, float x) {
  switch (act.kind) {
    case Act::kNone:
      return x;
    case Act::kRelu:
      return std::max(x, 0.f);
    case Act::kClip:
      return std::min(std::max(x, act.lo), act.hi);
    case Act::kLeakyRelu:
      return x < 0.f ? act.lo * x : x;
  }
  return x;
}

// Device memory of `count` elements of `t` at p, as host storage (throws DeviceFault).
void* span(void* p, DType t, int64_t count, const char* what) {
  return emu::device_span(p, static_cast<size_t>(count) * bytes_of(t), what);
}
const void* span(const void* p, DType t, int64_t count, const char* what) {
  return emu::device_span_const(p, static_cast<size_t>(count) * bytes_of(t), what);
}

// A launch with bad arguments fails like one with a bad configuration.
void bad_launch(const char* kernel) {
  emu::set_last_error(cudaErrorInvalidValue);
  check_launch(kernel);
}

template <typename Work>
void launch(const char* kernel, cudaStream_t stream, int64_t elements, Work work) {
  if (elements < 0) return bad_launch(kernel);
  if (emu::take_fault(emu::Fault::kKernelLaunch)) {
    emu::set_last_error(cudaErrorLaunchOutOfResources);
    emu::invalidate_capture(stream);  // a failed launch invalidates the capture it was part of
    return check_launch(kernel);
  }
  if (elements > 0) emu::enqueue(stream, std::string("kernel ") + kernel, std::move(work));
  check_launch(kernel);
}

}  // namespace

// ---- layout ------------------------------------------------------------------------------------

namespace {

void transpose_layout(const char* kernel, bool to_nhwc, const void* src, DType st, void* dst,
                      DType dt, int n, int c, int h, int w, cudaStream_t stream) {
  const bool ok = is_float(st) && is_float(dt);  // as the device: f32 / f16 only
  if (!ok || n < 0 || c < 0 || h < 0 || w < 0) return bad_launch(kernel);
  const int64_t count = int64_t{n} * c * h * w;
  launch(kernel, stream, count, [=] {
    const void* in = span(src, st, count, "src");
    void* out = span(dst, dt, count, "dst");
    for (int b = 0; b < n; ++b) {
      for (int ch = 0; ch < c; ++ch) {
        for (int y = 0; y < h; ++y) {
          for (int x = 0; x < w; ++x) {
            const int64_t nchw = ((int64_t{b} * c + ch) * h + y) * w + x;
            const int64_t nhwc = ((int64_t{b} * h + y) * w + x) * c + ch;
            const int64_t from = to_nhwc ? nchw : nhwc, to = to_nhwc ? nhwc : nchw;
            if (st == DType::kS8) {
              static_cast<int8_t*>(out)[to] = static_cast<const int8_t*>(in)[from];
            } else {
              store_float(out, dt, to, load(in, st, from));
            }
          }
        }
      }
    }
  });
}

}  // namespace

void nchw_to_nhwc(const void* src, DType src_type, void* dst, DType dst_type, int n, int c, int h,
                  int w, cudaStream_t stream) {
  transpose_layout("nchw_to_nhwc", true, src, src_type, dst, dst_type, n, c, h, w, stream);
}

void nhwc_to_nchw(const void* src, DType src_type, void* dst, DType dst_type, int n, int c, int h,
                  int w, cudaStream_t stream) {
  transpose_layout("nhwc_to_nchw", false, src, src_type, dst, dst_type, n, c, h, w, stream);
}

void convert(const void* src, DType src_type, void* dst, DType dst_type, int64_t count,
             cudaStream_t stream) {
  if (!is_float(src_type) || !is_float(dst_type)) return bad_launch("convert");
  launch("convert", stream, count, [=] {
    const void* in = span(src, src_type, count, "src");
    void* out = span(dst, dst_type, count, "dst");
    for (int64_t i = 0; i < count; ++i) store_float(out, dst_type, i, load(in, src_type, i));
  });
}

// ---- quantization ------------------------------------------------------------------------------

void quantize(const void* src, DType src_type, int8_t* dst, QuantS8 q, int64_t count,
              cudaStream_t stream) {
  if (!is_float(src_type) || !(q.scale > 0.f)) return bad_launch("quantize");
  launch("quantize", stream, count, [=] {
    const void* in = span(src, src_type, count, "src");
    auto* out = static_cast<int8_t*>(span(dst, DType::kS8, count, "dst"));
    for (int64_t i = 0; i < count; ++i) out[i] = quantize_value(load(in, src_type, i), q);
  });
}

void dequantize(const int8_t* src, QuantS8 q, void* dst, DType dst_type, int64_t count,
                cudaStream_t stream) {
  if (!is_float(dst_type)) return bad_launch("dequantize");
  launch("dequantize", stream, count, [=] {
    const auto* in = static_cast<const int8_t*>(span(src, DType::kS8, count, "src"));
    void* out = span(dst, dst_type, count, "dst");
    for (int64_t i = 0; i < count; ++i) store_float(out, dst_type, i, dequantize_value(in[i], q));
  });
}

// ---- convolution as GEMM -----------------------------------------------------------------------

void im2col_nhwc(const void* src, DType type, void* cols, const ConvGeometry& g, int k_padded,
                 int pad_value, cudaStream_t stream) {
  const int64_t k = int64_t{g.kh} * g.kw * g.c;
  if (type == DType::kS32 || k_padded < k || g.n < 0 || g.oh < 0 || g.ow < 0 || g.kh <= 0 ||
      g.kw <= 0 || g.stride_h <= 0 || g.stride_w <= 0 || g.dilation_h <= 0 || g.dilation_w <= 0) {
    return bad_launch("im2col_nhwc");
  }
  const int64_t rows = int64_t{g.n} * g.oh * g.ow;
  launch("im2col_nhwc", stream, rows * k_padded, [=] {
    const void* in = span(src, type, int64_t{g.n} * g.h * g.w * g.c, "src");
    void* out = span(cols, type, rows * k_padded, "cols");
    const size_t es = bytes_of(type);
    const int8_t pad8 = static_cast<int8_t>(pad_value);
    for (int64_t r = 0; r < rows; ++r) {
      const int b = static_cast<int>(r / (int64_t{g.oh} * g.ow));
      const int oy = static_cast<int>(r / g.ow % g.oh), ox = static_cast<int>(r % g.ow);
      for (int64_t col = 0; col < k_padded; ++col) {
        char* to = static_cast<char*>(out) + (r * k_padded + col) * es;
        if (col >= k) {  // columns past kh * kw * c: zero
          std::memset(to, 0, es);
          continue;
        }
        const int ci = static_cast<int>(col % g.c), tap = static_cast<int>(col / g.c);
        const int ky = tap / g.kw, kx = tap % g.kw;
        const int iy = oy * g.stride_h - g.pad_top + ky * g.dilation_h;
        const int ix = ox * g.stride_w - g.pad_left + kx * g.dilation_w;
        if (iy >= 0 && iy < g.h && ix >= 0 && ix < g.w) {
          const int64_t from = ((int64_t{b} * g.h + iy) * g.w + ix) * g.c + ci;
          std::memcpy(to, static_cast<const char*>(in) + from * es, es);
        } else if (type == DType::kS8) {  // out-of-image tap: the pad value
          *reinterpret_cast<int8_t*>(to) = pad8;
        } else {
          store_float(to, type, 0, static_cast<float>(pad_value));
        }
      }
    }
  });
}

void bias_residual_act(void* y, DType type, const float* bias, const void* residual, int64_t m,
                       int c, Activation act, cudaStream_t stream) {
  if (!is_float(type) || c < 0) return bad_launch("bias_residual_act");
  launch("bias_residual_act", stream, m * c, [=] {
    void* out = span(y, type, m * c, "y");
    const auto* b = bias ? static_cast<const float*>(span(bias, DType::kF32, c, "bias")) : nullptr;
    const void* res = residual ? span(residual, type, m * c, "residual") : nullptr;
    for (int64_t i = 0; i < m; ++i) {
      for (int ch = 0; ch < c; ++ch) {
        const int64_t at = i * c + ch;
        float v = load(out, type, at);
        if (b) v += b[ch];
        if (res) v += load(res, type, at);
        store_float(out, type, at, apply(act, v));
      }
    }
  });
}

void int8_epilogue(const int32_t* acc, void* out, int64_t m, int c, const Int8Epilogue& e,
                   cudaStream_t stream) {
  const int64_t ld = e.acc_ld ? e.acc_ld : c;
  if (ld < c || c < 0 || !e.w_sum || !e.w_scale || e.out_type == DType::kS32 ||
      (e.out_type == DType::kS8 && !(e.out_q.scale > 0.f))) {
    return bad_launch("int8_epilogue");
  }
  launch("int8_epilogue", stream, m * c, [=] {
    const auto* a =
        static_cast<const int32_t*>(span(acc, DType::kS32, m > 0 ? (m - 1) * ld + c : 0, "acc"));
    void* o = span(out, e.out_type, m * c, "out");
    const auto* w_sum = static_cast<const int32_t*>(span(e.w_sum, DType::kS32, c, "w_sum"));
    const auto* bias =
        e.bias ? static_cast<const int32_t*>(span(e.bias, DType::kS32, c, "bias")) : nullptr;
    const auto* w_scale = static_cast<const float*>(span(e.w_scale, DType::kF32, c, "w_scale"));
    const auto* res = e.residual
                          ? static_cast<const int8_t*>(span(e.residual, DType::kS8, m * c, "res"))
                          : nullptr;
    for (int64_t i = 0; i < m; ++i) {
      for (int ch = 0; ch < c; ++ch) {
        const int64_t sum =
            int64_t{a[i * ld + ch]} - int64_t{e.x_zero_point} * w_sum[ch] + (bias ? bias[ch] : 0);
        float v = static_cast<float>(sum) * (e.x_scale * w_scale[ch]);
        if (res) v += dequantize_value(res[i * c + ch], e.residual_q);
        v = apply(e.act, v);
        if (e.out_type == DType::kS8) {
          static_cast<int8_t*>(o)[i * c + ch] = quantize_value(v, e.out_q);
        } else {
          store_float(o, e.out_type, i * c + ch, v);
        }
      }
    }
  });
}

// ---- pooling -----------------------------------------------------------------------------------

namespace {

bool bad_geometry(const PoolGeometry& g) {
  return g.n < 0 || g.h < 0 || g.w < 0 || g.c < 0 || g.oh < 0 || g.ow < 0 || g.kh <= 0 ||
         g.kw <= 0 || g.stride_h <= 0 || g.stride_w <= 0 || g.dilation_h <= 0 || g.dilation_w <= 0;
}

// For each output element, calls tap(in_index) for every in-image tap of its window and then
// done(out_index, taps): the pooling kernels differ only in what they do with the taps.
template <typename Tap, typename Done>
void for_windows(const PoolGeometry& g, int dilation_h, int dilation_w, Tap tap, Done done) {
  for (int b = 0; b < g.n; ++b) {
    for (int oy = 0; oy < g.oh; ++oy) {
      for (int ox = 0; ox < g.ow; ++ox) {
        for (int ch = 0; ch < g.c; ++ch) {
          int taps = 0;
          for (int ky = 0; ky < g.kh; ++ky) {
            const int iy = oy * g.stride_h - g.pad_top + ky * dilation_h;
            if (iy < 0 || iy >= g.h) continue;
            for (int kx = 0; kx < g.kw; ++kx) {
              const int ix = ox * g.stride_w - g.pad_left + kx * dilation_w;
              if (ix < 0 || ix >= g.w) continue;
              tap(((int64_t{b} * g.h + iy) * g.w + ix) * g.c + ch);
              ++taps;
            }
          }
          done(((int64_t{b} * g.oh + oy) * g.ow + ox) * g.c + ch, taps);
        }
      }
    }
  }
}

}  // namespace

void max_pool_nhwc(const void* src, DType type, void* dst, const PoolGeometry& g,
                   cudaStream_t stream) {
  if (type == DType::kS32 || bad_geometry(g)) return bad_launch("max_pool_nhwc");
  const int64_t out_count = int64_t{g.n} * g.oh * g.ow * g.c;
  launch("max_pool_nhwc", stream, out_count, [=] {
    const void* in = span(src, type, int64_t{g.n} * g.h * g.w * g.c, "src");
    void* out = span(dst, type, out_count, "dst");
    float best = -INFINITY;
    bool first = true;  // the first tap wins ties and a NaN there propagates, as on the device
    for_windows(
        g, g.dilation_h, g.dilation_w,
        [&](int64_t i) {
          const float v = load(in, type, i);
          if (first || v > best) best = v;
          first = false;
        },
        [&](int64_t o, int) {
          if (type == DType::kS8) {
            static_cast<int8_t*>(out)[o] = static_cast<int8_t>(std::max(best, -128.f));
          } else {
            store_float(out, type, o, best);
          }
          best = -INFINITY;
          first = true;
        });
  });
}

void avg_pool_nhwc(const void* src, DType type, void* dst, const PoolGeometry& g,
                   bool count_include_pad, QuantS8 in_q, QuantS8 out_q, cudaStream_t stream) {
  if (type == DType::kS32 || bad_geometry(g) || (type == DType::kS8 && !(out_q.scale > 0.f))) {
    return bad_launch("avg_pool_nhwc");
  }
  const int64_t out_count = int64_t{g.n} * g.oh * g.ow * g.c;
  launch("avg_pool_nhwc", stream, out_count, [=] {
    const void* in = span(src, type, int64_t{g.n} * g.h * g.w * g.c, "src");
    void* out = span(dst, type, out_count, "dst");
    float sum = 0.f;
    for_windows(
        g, g.dilation_h, g.dilation_w,
        [&](int64_t i) {
          sum += type == DType::kS8 ? dequantize_value(static_cast<const int8_t*>(in)[i], in_q)
                                    : load(in, type, i);
        },
        [&](int64_t o, int taps) {
          const int divisor = count_include_pad ? g.kh * g.kw : taps;
          const float v = divisor > 0 ? sum / static_cast<float>(divisor) : 0.f;
          if (type == DType::kS8) {
            static_cast<int8_t*>(out)[o] = quantize_value(v, out_q);
          } else {
            store_float(out, type, o, v);
          }
          sum = 0.f;
        });
  });
}

void global_avg_pool_nhwc(const void* src, DType type, void* dst, int n, int hw, int c,
                          QuantS8 in_q, QuantS8 out_q, cudaStream_t stream) {
  if (type == DType::kS32 || n < 0 || hw <= 0 || c < 0 ||
      (type == DType::kS8 && !(out_q.scale > 0.f))) {
    return bad_launch("global_avg_pool_nhwc");
  }
  launch("global_avg_pool_nhwc", stream, int64_t{n} * c, [=] {
    const void* in = span(src, type, int64_t{n} * hw * c, "src");
    void* out = span(dst, type, int64_t{n} * c, "dst");
    for (int b = 0; b < n; ++b) {
      for (int ch = 0; ch < c; ++ch) {
        float sum = 0.f;
        for (int p = 0; p < hw; ++p) {
          const int64_t i = (int64_t{b} * hw + p) * c + ch;
          sum += type == DType::kS8 ? dequantize_value(static_cast<const int8_t*>(in)[i], in_q)
                                    : load(in, type, i);
        }
        const float v = sum / static_cast<float>(hw);
        if (type == DType::kS8) {
          static_cast<int8_t*>(out)[int64_t{b} * c + ch] = quantize_value(v, out_q);
        } else {
          store_float(out, type, int64_t{b} * c + ch, v);
        }
      }
    }
  });
}

// ---- element-wise ------------------------------------------------------------------------------

void add_act(const void* a, QuantS8 a_q, const void* b, QuantS8 b_q, void* out, QuantS8 out_q,
             DType type, int64_t count, Activation act, cudaStream_t stream) {
  if (type == DType::kS32 || (type == DType::kS8 && !(out_q.scale > 0.f))) {
    return bad_launch("add_act");
  }
  launch("add_act", stream, count, [=] {
    const void* x = span(a, type, count, "a");
    const void* y = span(b, type, count, "b");
    void* o = span(out, type, count, "out");
    for (int64_t i = 0; i < count; ++i) {
      if (type == DType::kS8) {
        const float v = dequantize_value(static_cast<const int8_t*>(x)[i], a_q) +
                        dequantize_value(static_cast<const int8_t*>(y)[i], b_q);
        static_cast<int8_t*>(o)[i] = quantize_value(apply(act, v), out_q);
      } else {
        store_float(o, type, i, apply(act, load(x, type, i) + load(y, type, i)));
      }
    }
  });
}

void activation(const void* x, void* out, DType type, int64_t count, Activation act, QuantS8 q,
                cudaStream_t stream) {
  if (type == DType::kS32 || (type == DType::kS8 && !(q.scale > 0.f))) {
    return bad_launch("activation");
  }
  launch("activation", stream, count, [=] {
    const void* in = span(x, type, count, "x");
    void* o = span(out, type, count, "out");
    for (int64_t i = 0; i < count; ++i) {
      if (type == DType::kS8) {
        const float v = dequantize_value(static_cast<const int8_t*>(in)[i], q);
        static_cast<int8_t*>(o)[i] = quantize_value(apply(act, v), q);
      } else {
        store_float(o, type, i, apply(act, load(in, type, i)));
      }
    }
  });
}

void softmax_rows(const float* x, float* out, int rows, int cols, cudaStream_t stream) {
  if (rows < 0 || cols <= 0) return bad_launch("softmax_rows");
  launch("softmax_rows", stream, int64_t{rows} * cols, [=] {
    const int64_t count = int64_t{rows} * cols;
    const auto* in = static_cast<const float*>(span(x, DType::kF32, count, "x"));
    auto* o = static_cast<float*>(span(out, DType::kF32, count, "out"));
    for (int r = 0; r < rows; ++r) {
      const float* row = in + int64_t{r} * cols;
      float* dst = o + int64_t{r} * cols;
      const float top = *std::max_element(row, row + cols);
      float sum = 0.f;
      for (int j = 0; j < cols; ++j) sum += dst[j] = std::exp(row[j] - top);
      for (int j = 0; j < cols; ++j) dst[j] /= sum;
    }
  });
}

}  // namespace lowp::cuda

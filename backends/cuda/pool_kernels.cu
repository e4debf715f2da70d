// NHWC pooling: max and average pooling over a window, and global average pooling, for f32, f16
// and s8 (average pooling on s8 dequantizes, accumulates in f32 and requantizes).
#include "backends/cuda/kernel_math.cuh"

namespace lowp::cuda {
namespace {

using detail::Divisor;

// Output geometry as divisors: flat output index -> (b, oy, ox, ch).
template <typename Idx>
struct PoolParams {
  Divisor<Idx> c, ow, oh;
  Idx h, w;
  int kh, kw;
  int stride_h, stride_w;
  int pad_top, pad_left;
  int dilation_h, dilation_w;
  Idx total;  // output elements
};

template <typename Idx>
PoolParams<Idx> make_params(const PoolGeometry& g) {
  PoolParams<Idx> p;
  p.c = Divisor<Idx>(g.c);
  p.ow = Divisor<Idx>(g.ow);
  p.oh = Divisor<Idx>(g.oh);
  p.h = g.h;
  p.w = g.w;
  p.kh = g.kh;
  p.kw = g.kw;
  p.stride_h = g.stride_h;
  p.stride_w = g.stride_w;
  p.pad_top = g.pad_top;
  p.pad_left = g.pad_left;
  p.dilation_h = g.dilation_h;
  p.dilation_w = g.dilation_w;
  p.total = static_cast<Idx>(int64_t{g.n} * g.oh * g.ow * g.c);
  return p;
}

// Window of output element i: the input offset of its channel in image b and its top-left tap.
template <typename Idx>
struct Window {
  Idx base;  // (b * h * w) * c + ch
  Idx y0, x0;
};

template <typename Idx>
__device__ __forceinline__ Window<Idx> window_of(const PoolParams<Idx>& p, Idx i) {
  const Idx pixel = p.c.div(i);
  const Idx ch = i - pixel * p.c.d;
  const Idx t = p.ow.div(pixel);
  const Idx ox = pixel - t * p.ow.d;
  const Idx b = p.oh.div(t);
  const Idx oy = t - b * p.oh.d;
  return {b * p.h * p.w * p.c.d + ch, oy * p.stride_h - p.pad_top, ox * p.stride_w - p.pad_left};
}

// Max over the in-image taps, comparing stored values (monotonic for s8); the first maximum wins
// and an empty window gives 0.
template <typename T, typename Idx>
__global__ void max_pool_kernel(const T* __restrict__ src, T* __restrict__ dst, PoolParams<Idx> p) {
  for (Idx i = detail::grid_start<Idx>(); i < p.total; i += detail::grid_step<Idx>()) {
    const Window<Idx> win = window_of(p, i);
    T best = detail::zero_of<T>();
    bool found = false;
    for (int ky = 0; ky < p.kh; ++ky) {
      const Idx iy = win.y0 + ky * p.dilation_h;
      if (iy < 0 || iy >= p.h) continue;
      for (int kx = 0; kx < p.kw; ++kx) {
        const Idx ix = win.x0 + kx * p.dilation_w;
        if (ix < 0 || ix >= p.w) continue;
        const T v = src[win.base + (iy * p.w + ix) * p.c.d];
        if (!found || detail::to_float(v) > detail::to_float(best)) best = v;
        found = true;
      }
    }
    dst[i] = best;
  }
}

// Mean of the real values of the in-image taps; the divisor is kh * kw with count_include_pad (the
// lowering guarantees every window lies inside the padded input), else the in-image tap count.
template <typename T, typename Idx>
__global__ void avg_pool_kernel(const T* __restrict__ src, T* __restrict__ dst, PoolParams<Idx> p,
                                bool count_include_pad, QuantS8 in_q, QuantS8 out_q) {
  for (Idx i = detail::grid_start<Idx>(); i < p.total; i += detail::grid_step<Idx>()) {
    const Window<Idx> win = window_of(p, i);
    float sum = 0.f;
    int valid = 0;
    for (int ky = 0; ky < p.kh; ++ky) {
      const Idx iy = win.y0 + ky * p.dilation_h;
      if (iy < 0 || iy >= p.h) continue;
      for (int kx = 0; kx < p.kw; ++kx) {
        const Idx ix = win.x0 + kx * p.dilation_w;
        if (ix < 0 || ix >= p.w) continue;
        sum += detail::load_value(src[win.base + (iy * p.w + ix) * p.c.d], in_q);
        ++valid;
      }
    }
    const int count = count_include_pad ? p.kh * p.kw : valid;
    const float mean = count > 0 ? sum / static_cast<float>(count) : 0.f;
    dst[i] = detail::store_value<T>(mean, out_q);
  }
}

// One thread per (b, ch): consecutive threads read consecutive channels of the same pixel.
template <typename T, typename Idx>
__global__ void global_avg_pool_kernel(const T* __restrict__ src, T* __restrict__ dst, Idx total,
                                       Divisor<Idx> c, Idx hw, QuantS8 in_q, QuantS8 out_q) {
  for (Idx i = detail::grid_start<Idx>(); i < total; i += detail::grid_step<Idx>()) {
    const Idx b = c.div(i);
    const Idx ch = i - b * c.d;
    const T* plane = src + b * hw * c.d + ch;
    float sum = 0.f;
    for (Idx k = 0; k < hw; ++k) sum += detail::load_value(plane[k * c.d], in_q);
    const float mean = hw > 0 ? sum / static_cast<float>(hw) : 0.f;
    dst[i] = detail::store_value<T>(mean, out_q);
  }
}

}  // namespace

void max_pool_nhwc(const void* src, DType type, void* dst, const PoolGeometry& g,
                   cudaStream_t stream) {
  const int64_t total = int64_t{g.n} * g.oh * g.ow * g.c;
  if (total == 0) return;
  const int64_t extent = std::max(total, int64_t{g.n} * g.h * g.w * g.c);
  detail::dispatch_float_s8(type, "max_pool_nhwc", [&](auto tag) {
    using T = typename decltype(tag)::type;
    detail::dispatch_index(extent, [&](auto idx_tag) {
      using Idx = typename decltype(idx_tag)::type;
      detail::launch("max_pool_nhwc", max_pool_kernel<T, Idx>, detail::blocks_for(total),
                     detail::kBlock, stream, static_cast<const T*>(src), static_cast<T*>(dst),
                     make_params<Idx>(g));
    });
  });
}

void avg_pool_nhwc(const void* src, DType type, void* dst, const PoolGeometry& g,
                   bool count_include_pad, QuantS8 in_q, QuantS8 out_q, cudaStream_t stream) {
  const int64_t total = int64_t{g.n} * g.oh * g.ow * g.c;
  if (total == 0) return;
  const int64_t extent = std::max(total, int64_t{g.n} * g.h * g.w * g.c);
  detail::dispatch_float_s8(type, "avg_pool_nhwc", [&](auto tag) {
    using T = typename decltype(tag)::type;
    detail::dispatch_index(extent, [&](auto idx_tag) {
      using Idx = typename decltype(idx_tag)::type;
      detail::launch("avg_pool_nhwc", avg_pool_kernel<T, Idx>, detail::blocks_for(total),
                     detail::kBlock, stream, static_cast<const T*>(src), static_cast<T*>(dst),
                     make_params<Idx>(g), count_include_pad, in_q, out_q);
    });
  });
}

void global_avg_pool_nhwc(const void* src, DType type, void* dst, int n, int hw, int c,
                          QuantS8 in_q, QuantS8 out_q, cudaStream_t stream) {
  const int64_t total = int64_t{n} * c;
  if (total == 0) return;
  const int64_t extent = std::max(total, total * hw);
  detail::dispatch_float_s8(type, "global_avg_pool_nhwc", [&](auto tag) {
    using T = typename decltype(tag)::type;
    detail::dispatch_index(extent, [&](auto idx_tag) {
      using Idx = typename decltype(idx_tag)::type;
      detail::launch("global_avg_pool_nhwc", global_avg_pool_kernel<T, Idx>,
                     detail::blocks_for(total), detail::kBlock, stream, static_cast<const T*>(src),
                     static_cast<T*>(dst), static_cast<Idx>(total), Divisor<Idx>(c),
                     static_cast<Idx>(hw), in_q, out_q);
    });
  });
}

}  // namespace lowp::cuda

// im2col for NHWC convolution input: builds the [n * oh * ow, k_padded] GEMM operand with columns
// ordered (kh, kw, c). The copy is type-agnostic: elements are moved in the widest "unit" (1 to 16
// bytes) that divides the channel run, and each thread writes one aligned word of S units.
#include <cstring>

#include "backends/cuda/kernel_math.cuh"

namespace lowp::cuda {
namespace {

using detail::Divisor;

// Plain-old-data word of `Bytes` bytes, loaded and stored with a single instruction.
template <int Bytes>
struct UnitOf;
template <>
struct UnitOf<1> {
  using type = uint8_t;
};
template <>
struct UnitOf<2> {
  using type = uint16_t;
};
template <>
struct UnitOf<4> {
  using type = uint32_t;
};
template <>
struct UnitOf<8> {
  using type = uint2;
};
template <>
struct UnitOf<16> {
  using type = uint4;
};

// S consecutive units of one output row, written with one aligned store.
template <typename U, int S>
struct alignas(sizeof(U) * S) Pack {
  U u[S];
};

// Geometry in units (c, k) and words (words_per_row, total).
template <typename Idx>
struct Im2colParams {
  Divisor<Idx> words_per_row;
  Divisor<Idx> c;  // units per pixel
  Divisor<Idx> kw;
  Divisor<Idx> ow;
  Divisor<Idx> oh;
  Idx h, w;
  Idx k;      // kh * kw * c units; units k .. k_padded are zero
  Idx total;  // words in the output
  int stride_h, stride_w;
  int pad_top, pad_left;
  int dilation_h, dilation_w;
};

// Output word i: row -> (b, oy, ox), first column -> (ky, kx, ci), then S units stepping along
// the (kh, kw, c) column order. Host-callable so the index math can be checked without a GPU.
template <typename U, int S, typename Idx>
__host__ __device__ __forceinline__ Pack<U, S> im2col_word(const U* __restrict__ src,
                                                           const Im2colParams<Idx>& p, U pad,
                                                           Idx i) {
  const Idx row = p.words_per_row.div(i);
  const Idx col = (i - row * p.words_per_row.d) * S;
  const Idx tap = p.c.div(col);
  Idx ci = col - tap * p.c.d;
  Idx ky = p.kw.div(tap);
  Idx kx = tap - ky * p.kw.d;
  const Idx t = p.ow.div(row);
  const Idx ox = row - t * p.ow.d;
  const Idx b = p.oh.div(t);
  const Idx oy = t - b * p.oh.d;
  const Idx y0 = oy * p.stride_h - p.pad_top;
  const Idx x0 = ox * p.stride_w - p.pad_left;
  const U* image = src + b * p.h * p.w * p.c.d;
  Pack<U, S> out;
  for (int j = 0; j < S; ++j) {
    U v{};  // columns >= k are zero
    if (col + j < p.k) {
      const Idx iy = y0 + ky * p.dilation_h;
      const Idx ix = x0 + kx * p.dilation_w;
      v = (iy >= 0 && iy < p.h && ix >= 0 && ix < p.w) ? image[(iy * p.w + ix) * p.c.d + ci] : pad;
      if (++ci == p.c.d) {
        ci = 0;
        if (++kx == p.kw.d) {
          kx = 0;
          ++ky;
        }
      }
    }
    out.u[j] = v;
  }
  return out;
}

template <typename U, int S, typename Idx>
__global__ void im2col_kernel(const U* __restrict__ src, Pack<U, S>* __restrict__ cols,
                              Im2colParams<Idx> p, U pad) {
  for (Idx i = detail::grid_start<Idx>(); i < p.total; i += detail::grid_step<Idx>()) {
    cols[i] = im2col_word<U, S, Idx>(src, p, pad, i);
  }
}

bool aligned(const void* p, int bytes) { return reinterpret_cast<uintptr_t>(p) % bytes == 0; }

// Element size of `type` and the pad value's bytes repeated over 16 bytes.
struct PadPattern {
  int elem_bytes = 0;
  unsigned char bytes[16] = {};
};

PadPattern pad_pattern(DType type, int pad_value) {
  PadPattern pp;
  unsigned char elem[4] = {};
  switch (type) {
    case DType::kF32: {
      const auto v = static_cast<float>(pad_value);
      pp.elem_bytes = sizeof v;
      std::memcpy(elem, &v, sizeof v);
      break;
    }
    case DType::kF16: {
      const __half v = __float2half_rn(static_cast<float>(pad_value));
      pp.elem_bytes = sizeof v;
      std::memcpy(elem, &v, sizeof v);
      break;
    }
    case DType::kS8: {
      const auto v = static_cast<int8_t>(pad_value);
      pp.elem_bytes = sizeof v;
      std::memcpy(elem, &v, sizeof v);
      break;
    }
    default:
      detail::unsupported_dtype("im2col_nhwc");
  }
  for (int i = 0; i < 16; ++i) pp.bytes[i] = elem[i % pp.elem_bytes];
  return pp;
}

struct Im2colWidths {
  int unit_bytes;   // gather granularity: divides a tap's channel run and the output row
  int store_bytes;  // store word: a multiple of unit_bytes dividing the output row
  bool index32;     // all flat unit indices (input and output) below 2^30
};

Im2colWidths choose_widths(const void* src, const void* cols, const ConvGeometry& g, int elem_bytes,
                           int64_t k_padded) {
  const int64_t c_bytes = int64_t{g.c} * elem_bytes;
  const int64_t row_bytes = k_padded * elem_bytes;
  const auto fits = [&](int bytes, int64_t run) {
    return bytes >= elem_bytes && run % bytes == 0 && aligned(cols, bytes);
  };
  Im2colWidths wd{elem_bytes, elem_bytes, false};
  for (int bytes : {16, 8, 4, 2}) {
    if (fits(bytes, c_bytes) && fits(bytes, row_bytes) && aligned(src, bytes)) {
      wd.unit_bytes = bytes;
      break;
    }
  }
  wd.store_bytes = wd.unit_bytes;
  for (int bytes : {16, 8, 4}) {
    if (bytes > wd.unit_bytes && fits(bytes, row_bytes)) {
      wd.store_bytes = bytes;
      break;
    }
  }
  const int64_t output_units = int64_t{g.n} * g.oh * g.ow * row_bytes / wd.unit_bytes;
  const int64_t input_units = int64_t{g.n} * g.h * g.w * c_bytes / wd.unit_bytes;
  constexpr int64_t kLimit = int64_t{1} << 30;
  wd.index32 = output_units < kLimit && input_units < kLimit;
  return wd;
}

template <int UnitBytes, int StoreBytes, typename Idx>
Im2colParams<Idx> make_params(const ConvGeometry& g, int elem_bytes, int64_t k_padded) {
  const int64_t c_units = int64_t{g.c} * elem_bytes / UnitBytes;
  const int64_t words_per_row = k_padded * elem_bytes / StoreBytes;
  Im2colParams<Idx> p;
  p.words_per_row = Divisor<Idx>(words_per_row);
  p.c = Divisor<Idx>(c_units);
  p.kw = Divisor<Idx>(g.kw);
  p.ow = Divisor<Idx>(g.ow);
  p.oh = Divisor<Idx>(g.oh);
  p.h = g.h;
  p.w = g.w;
  p.k = static_cast<Idx>(int64_t{g.kh} * g.kw * c_units);
  p.total = static_cast<Idx>(int64_t{g.n} * g.oh * g.ow * words_per_row);
  p.stride_h = g.stride_h;
  p.stride_w = g.stride_w;
  p.pad_top = g.pad_top;
  p.pad_left = g.pad_left;
  p.dilation_h = g.dilation_h;
  p.dilation_w = g.dilation_w;
  return p;
}

template <int UnitBytes, typename F>
void dispatch_store(const Im2colWidths& wd, F& f) {
  using Unit = std::integral_constant<int, UnitBytes>;
  if (!wd.index32) {
    f(Unit{}, Unit{}, detail::Tag<int64_t>{});  // int64 indices: one unit per thread
    return;
  }
  const auto call = [&](auto store) {
    if constexpr (decltype(store)::value >= UnitBytes) f(Unit{}, store, detail::Tag<int32_t>{});
  };
  switch (wd.store_bytes) {
    case 16:
      return call(std::integral_constant<int, 16>{});
    case 8:
      return call(std::integral_constant<int, 8>{});
    case 4:
      return call(std::integral_constant<int, 4>{});
    default:
      return call(Unit{});
  }
}

// Calls f(unit_bytes, store_bytes, Tag<Idx>) with the widths as integral constants.
template <typename F>
void dispatch_widths(const Im2colWidths& wd, F&& f) {
  switch (wd.unit_bytes) {
    case 16:
      return dispatch_store<16>(wd, f);
    case 8:
      return dispatch_store<8>(wd, f);
    case 4:
      return dispatch_store<4>(wd, f);
    case 2:
      return dispatch_store<2>(wd, f);
    default:
      return dispatch_store<1>(wd, f);
  }
}

}  // namespace

void im2col_nhwc(const void* src, DType type, void* cols, const ConvGeometry& g, int k_padded,
                 int pad_value, cudaStream_t stream) {
  if (int64_t{g.n} * g.oh * g.ow == 0 || k_padded == 0) return;
  const PadPattern pp = pad_pattern(type, pad_value);
  const Im2colWidths wd = choose_widths(src, cols, g, pp.elem_bytes, k_padded);
  dispatch_widths(wd, [&](auto unit, auto store, auto idx_tag) {
    constexpr int kUnit = decltype(unit)::value;
    constexpr int kStore = decltype(store)::value;
    using Idx = typename decltype(idx_tag)::type;
    using U = typename UnitOf<kUnit>::type;
    static_assert(sizeof(U) == kUnit);
    const Im2colParams<Idx> p = make_params<kUnit, kStore, Idx>(g, pp.elem_bytes, k_padded);
    U pad;
    std::memcpy(&pad, pp.bytes, sizeof pad);
    detail::launch("im2col_nhwc", im2col_kernel<U, kStore / kUnit, Idx>,
                   detail::blocks_for(p.total), detail::kBlock, stream, static_cast<const U*>(src),
                   static_cast<Pack<U, kStore / kUnit>*>(cols), p, pad);
  });
}

}  // namespace lowp::cuda

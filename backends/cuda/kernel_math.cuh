// Helpers shared by the CUDA kernel files: typed element load / store through float, s8
// quantization, activations, grid-stride indexing, launch sizes, launching and DType dispatch.
// Included by .cu files only: compiled by nvcc for the GPU, or by the host compiler after
// tests/cuda_emulation/kernels_on_host.h, which runs the same kernel source on the host.
#pragma once

#if !defined(__CUDACC__) && !defined(LOWP_CUDA_KERNELS_ON_HOST)
#error "backends/cuda kernels need nvcc, or tests/cuda_emulation/kernels_on_host.h included first"
#endif

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <type_traits>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/kernels.h"
#include "lowp/error.h"

namespace lowp::cuda::detail {

// ---- host: launch sizes and dispatch -----------------------------------------------------------

constexpr int kBlock = 256;
constexpr int64_t kMaxBlocks = int64_t{1} << 16;

// Blocks for a grid-stride loop over `count` items, `block` threads each, capped at kMaxBlocks.
inline unsigned blocks_for(int64_t count, int block = kBlock) {
  return static_cast<unsigned>(std::clamp<int64_t>((count + block - 1) / block, 1, kMaxBlocks));
}

template <typename T>
struct Tag {
  using type = T;
};

[[noreturn]] inline void unsupported_dtype(const char* kernel) {
  throw_error(ErrorCode::kUnsupported, std::string(kernel) + ": unsupported dtype");
}

// Launches kernel<<<grid, block, 0, stream>>> with `args` converted to the kernel's parameter
// types, then check_launch(name). Without nvcc the kernel runs on the host (run_on_host, from
// kernels_on_host.h).
template <typename... Params, typename... Args>
void launch(const char* name, void (*kernel)(Params...), dim3 grid, dim3 block, cudaStream_t stream,
            const Args&... args) {
  static_assert(sizeof...(Params) == sizeof...(Args), "kernel argument count");
#if defined(__CUDACC__)
  kernel<<<grid, block, 0, stream>>>(static_cast<Params>(args)...);
#else
  run_on_host(name, kernel, grid, block, stream, static_cast<Params>(args)...);
#endif
  check_launch(name);
}

// Calls f(Tag<T>{}) with T float or __half.
template <typename F>
void dispatch_float(DType type, const char* kernel, F&& f) {
  switch (type) {
    case DType::kF32:
      f(Tag<float>{});
      return;
    case DType::kF16:
      f(Tag<__half>{});
      return;
    default:
      unsupported_dtype(kernel);
  }
}

// Calls f(Tag<T>{}) with T float, __half or int8_t.
template <typename F>
void dispatch_float_s8(DType type, const char* kernel, F&& f) {
  if (type == DType::kS8) {
    f(Tag<int8_t>{});
    return;
  }
  dispatch_float(type, kernel, f);
}

// Calls f(Tag<Idx>{}) with the index type for a kernel whose flat indices stay below `extent`:
// int32_t below 2^30 (headroom for the last grid stride and for Divisor32), else int64_t.
template <typename F>
void dispatch_index(int64_t extent, F&& f) {
  if (extent < (int64_t{1} << 30)) {
    f(Tag<int32_t>{});
  } else {
    f(Tag<int64_t>{});
  }
}

// ---- integer division by a launch-invariant divisor ---------------------------------------------

// Division of a non-negative int32 numerator (< 2^31) by a fixed divisor d >= 1 with a precomputed
// multiplier (Granlund-Montgomery): q = (mulhi(m, n) + n) >> s, s = ceil(log2 d),
// m = floor(2^32 * (2^s - d) / d) + 1. GPUs have no integer divide instruction, so this keeps the
// index decompositions of the int32 path cheap.
struct Divisor32 {
  int32_t d = 1;
  uint32_t m = 1;
  uint32_t s = 0;

  Divisor32() = default;
  // A divisor below 1 (an empty dimension whose quotients are never used) is taken as 1.
  explicit Divisor32(int64_t divisor) : d(static_cast<int32_t>(std::max<int64_t>(divisor, 1))) {
    while ((uint64_t{1} << s) < static_cast<uint64_t>(d)) ++s;
    const uint64_t excess = (uint64_t{1} << s) - static_cast<uint64_t>(d);
    m = static_cast<uint32_t>((excess << 32) / static_cast<uint64_t>(d) + 1);
  }
  __host__ __device__ __forceinline__ int32_t div(int32_t n) const {
    const auto un = static_cast<uint32_t>(n);
#ifdef __CUDA_ARCH__
    const uint32_t hi = __umulhi(m, un);
#else
    const auto hi = static_cast<uint32_t>((uint64_t{m} * un) >> 32);
#endif
    return static_cast<int32_t>((hi + un) >> s);
  }
};

// Plain division for the int64 index path.
struct Divisor64 {
  int64_t d = 1;

  Divisor64() = default;
  explicit Divisor64(int64_t divisor) : d(std::max<int64_t>(divisor, 1)) {}
  __host__ __device__ __forceinline__ int64_t div(int64_t n) const { return n / d; }
};

template <typename Idx>
using Divisor = std::conditional_t<std::is_same_v<Idx, int32_t>, Divisor32, Divisor64>;

// ---- device: indexing --------------------------------------------------------------------------

template <typename Idx>
__device__ __forceinline__ Idx grid_start() {
  return static_cast<Idx>(blockIdx.x) * static_cast<Idx>(blockDim.x) +
         static_cast<Idx>(threadIdx.x);
}

template <typename Idx>
__device__ __forceinline__ Idx grid_step() {
  return static_cast<Idx>(gridDim.x) * static_cast<Idx>(blockDim.x);
}

// ---- element conversion and activations (host-callable too, for checks without a GPU) ----------

// Raw conversion to float (int8 is the stored value, not dequantized).
__host__ __device__ __forceinline__ float to_float(float v) { return v; }
__host__ __device__ __forceinline__ float to_float(__half v) { return __half2float(v); }
__host__ __device__ __forceinline__ float to_float(int8_t v) { return static_cast<float>(v); }

// Float to a floating element type, round to nearest even.
template <typename T>
__host__ __device__ __forceinline__ T from_float(float v) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, __half>);
  if constexpr (std::is_same_v<T, __half>) {
    return __float2half_rn(v);
  } else {
    return v;
  }
}

// The element 0 of T (__half's default constructor may leave it uninitialised).
template <typename T>
__host__ __device__ __forceinline__ T zero_of() {
  if constexpr (std::is_same_v<T, int8_t>) {
    return 0;
  } else {
    return from_float<T>(0.f);
  }
}

// q = clamp(round_half_to_even(x / scale) + zp, -128, 127). NaN maps to -128.
__host__ __device__ __forceinline__ int8_t quantize_s8(float x, QuantS8 q) {
  float r = rintf(x / q.scale) + static_cast<float>(q.zero_point);
  r = fminf(fmaxf(r, -128.f), 127.f);
  return static_cast<int8_t>(r);  // r is integral
}

// real = (q - zp) * scale.
__host__ __device__ __forceinline__ float dequantize_s8(int8_t v, QuantS8 q) {
  return static_cast<float>(static_cast<int>(v) - q.zero_point) * q.scale;
}

// Real value of an element: dequantized with `q` for int8, converted for floats (q ignored).
template <typename T>
__host__ __device__ __forceinline__ float load_value(T v, QuantS8 q) {
  if constexpr (std::is_same_v<T, int8_t>) {
    return dequantize_s8(v, q);
  } else {
    return to_float(v);
  }
}

// Element holding the real value `v`: quantized with `q` for int8, converted for floats.
template <typename T>
__host__ __device__ __forceinline__ T store_value(float v, QuantS8 q) {
  if constexpr (std::is_same_v<T, int8_t>) {
    return quantize_s8(v, q);
  } else {
    return from_float<T>(v);
  }
}

// Activation applied to a real value (see Act).
__host__ __device__ __forceinline__ float apply_act(float v, Activation act) {
  switch (act.kind) {
    case Act::kRelu:  // comparisons, not fmaxf: NaN passes through as in the reference kernels
      return v < 0.f ? 0.f : v;
    case Act::kClip:
      return v < act.lo ? act.lo : (v > act.hi ? act.hi : v);
    case Act::kLeakyRelu:
      return v < 0.f ? act.lo * v : v;
    default:
      return v;
  }
}

}  // namespace lowp::cuda::detail

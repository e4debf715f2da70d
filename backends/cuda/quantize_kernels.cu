// Per-tensor s8 quantization and dequantization of f32 / f16 tensors.
#include "backends/cuda/kernel_math.cuh"

namespace lowp::cuda {
namespace {

template <typename T>
__global__ void quantize_kernel(const T* __restrict__ src, int8_t* __restrict__ dst, QuantS8 q,
                                int64_t count) {
  for (int64_t i = detail::grid_start<int64_t>(); i < count; i += detail::grid_step<int64_t>()) {
    dst[i] = detail::quantize_s8(detail::to_float(src[i]), q);
  }
}

template <typename T>
__global__ void dequantize_kernel(const int8_t* __restrict__ src, QuantS8 q, T* __restrict__ dst,
                                  int64_t count) {
  for (int64_t i = detail::grid_start<int64_t>(); i < count; i += detail::grid_step<int64_t>()) {
    dst[i] = detail::from_float<T>(detail::dequantize_s8(src[i], q));
  }
}

}  // namespace

void quantize(const void* src, DType src_type, int8_t* dst, QuantS8 q, int64_t count,
              cudaStream_t stream) {
  if (count == 0) return;
  detail::dispatch_float(src_type, "quantize", [&](auto tag) {
    using T = typename decltype(tag)::type;
    detail::launch("quantize", quantize_kernel<T>, detail::blocks_for(count), detail::kBlock,
                   stream, static_cast<const T*>(src), dst, q, count);
  });
}

void dequantize(const int8_t* src, QuantS8 q, void* dst, DType dst_type, int64_t count,
                cudaStream_t stream) {
  if (count == 0) return;
  detail::dispatch_float(dst_type, "dequantize", [&](auto tag) {
    using T = typename decltype(tag)::type;
    detail::launch("dequantize", dequantize_kernel<T>, detail::blocks_for(count), detail::kBlock,
                   stream, src, q, static_cast<T*>(dst), count);
  });
}

}  // namespace lowp::cuda

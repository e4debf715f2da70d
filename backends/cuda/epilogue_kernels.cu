// GEMM epilogues on [m, c] row-major outputs: the float bias + residual + activation pass and the
// int8 requantization epilogue of s8 x s8 -> s32 GEMMs.
#include "backends/cuda/kernel_math.cuh"

namespace lowp::cuda {
namespace {

using detail::Divisor;

template <typename T, typename Idx>
__global__ void bias_residual_act_kernel(T* __restrict__ y, const float* __restrict__ bias,
                                         const T* __restrict__ residual, Idx count, Divisor<Idx> c,
                                         Activation act) {
  for (Idx i = detail::grid_start<Idx>(); i < count; i += detail::grid_step<Idx>()) {
    float v = detail::to_float(y[i]);
    if (bias) v += bias[i - c.div(i) * c.d];
    if (residual) v += detail::to_float(residual[i]);
    y[i] = detail::from_float<T>(detail::apply_act(v, act));
  }
}

// One element of the int8 epilogue (see Int8Epilogue in kernels.h); `ch` is the output channel.
template <typename Out>
__host__ __device__ __forceinline__ Out int8_epilogue_value(int32_t acc, int8_t residual, int ch,
                                                            const Int8Epilogue& e) {
  // 64-bit so that no (acc, zero point, bias) combination can overflow before scaling.
  int64_t centred = int64_t{acc} - int64_t{e.x_zero_point} * e.w_sum[ch];
  if (e.bias) centred += e.bias[ch];
  float v = static_cast<float>(centred) * (e.x_scale * e.w_scale[ch]);
  if (e.residual) v += detail::dequantize_s8(residual, e.residual_q);
  return detail::store_value<Out>(detail::apply_act(v, e.act), e.out_q);
}

template <typename Out, typename Idx>
__global__ void int8_epilogue_kernel(const int32_t* __restrict__ acc, Out* __restrict__ out,
                                     Idx count, Divisor<Idx> c, Int8Epilogue e) {
  const Idx acc_ld = e.acc_ld > 0 ? static_cast<Idx>(e.acc_ld) : c.d;
  for (Idx i = detail::grid_start<Idx>(); i < count; i += detail::grid_step<Idx>()) {
    const Idx row = c.div(i);
    const int ch = static_cast<int>(i - row * c.d);
    const int8_t res = e.residual ? e.residual[i] : int8_t{0};
    out[i] = int8_epilogue_value<Out>(acc[row * acc_ld + ch], res, ch, e);
  }
}

}  // namespace

void bias_residual_act(void* y, DType type, const float* bias, const void* residual, int64_t m,
                       int c, Activation act, cudaStream_t stream) {
  const int64_t count = m * c;
  if (count == 0) return;
  detail::dispatch_float(type, "bias_residual_act", [&](auto tag) {
    using T = typename decltype(tag)::type;
    detail::dispatch_index(count, [&](auto idx_tag) {
      using Idx = typename decltype(idx_tag)::type;
      detail::launch("bias_residual_act", bias_residual_act_kernel<T, Idx>,
                     detail::blocks_for(count), detail::kBlock, stream, static_cast<T*>(y), bias,
                     static_cast<const T*>(residual), static_cast<Idx>(count), Divisor<Idx>(c),
                     act);
    });
  });
}

void int8_epilogue(const int32_t* acc, void* out, int64_t m, int c, const Int8Epilogue& e,
                   cudaStream_t stream) {
  const int64_t count = m * c;
  if (count == 0) return;
  if (!e.w_sum || !e.w_scale) throw_error(ErrorCode::kInternal, "int8_epilogue: no weight data");
  const int64_t acc_ld = e.acc_ld > 0 ? e.acc_ld : c;
  if (acc_ld < c) throw_error(ErrorCode::kInternal, "int8_epilogue: acc_ld < c");
  detail::dispatch_float_s8(e.out_type, "int8_epilogue", [&](auto tag) {
    using Out = typename decltype(tag)::type;
    detail::dispatch_index(m * acc_ld, [&](auto idx_tag) {  // acc indices reach m * acc_ld
      using Idx = typename decltype(idx_tag)::type;
      detail::launch("int8_epilogue", int8_epilogue_kernel<Out, Idx>, detail::blocks_for(count),
                     detail::kBlock, stream, acc, static_cast<Out*>(out), static_cast<Idx>(count),
                     Divisor<Idx>(c), e);
    });
  });
}

}  // namespace lowp::cuda

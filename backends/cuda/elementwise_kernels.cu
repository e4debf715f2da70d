// Element-wise kernels: add + activation, standalone activation (f32 / f16, or s8 in the real
// domain) and the row softmax.
#include "backends/cuda/kernel_math.cuh"

namespace lowp::cuda {
namespace {

template <typename T>
__global__ void add_act_kernel(const T* __restrict__ a, QuantS8 a_q, const T* __restrict__ b,
                               QuantS8 b_q, T* __restrict__ out, QuantS8 out_q, int64_t count,
                               Activation act) {
  for (int64_t i = detail::grid_start<int64_t>(); i < count; i += detail::grid_step<int64_t>()) {
    const float v = detail::load_value(a[i], a_q) + detail::load_value(b[i], b_q);
    out[i] = detail::store_value<T>(detail::apply_act(v, act), out_q);
  }
}

template <typename T>
__global__ void activation_kernel(const T* __restrict__ x, T* __restrict__ out, int64_t count,
                                  Activation act, QuantS8 q) {
  for (int64_t i = detail::grid_start<int64_t>(); i < count; i += detail::grid_step<int64_t>()) {
    out[i] = detail::store_value<T>(detail::apply_act(detail::load_value(x[i], q), act), q);
  }
}

constexpr int kSoftmaxBlock = 256;

template <typename Op>
__device__ __forceinline__ float warp_reduce(float v, Op op) {
  for (int offset = 16; offset > 0; offset /= 2) v = op(v, __shfl_xor_sync(0xffffffffu, v, offset));
  return v;
}

// Reduces v over the block (blockDim.x a multiple of 32, at most 1024) and returns the result to
// every thread. `scratch` holds 33 floats.
template <typename Op>
__device__ __forceinline__ float block_reduce(float v, float identity, Op op, float* scratch) {
  const int lane = static_cast<int>(threadIdx.x % 32);
  const int warp = static_cast<int>(threadIdx.x / 32);
  v = warp_reduce(v, op);
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < static_cast<int>(blockDim.x / 32) ? scratch[lane] : identity;
    v = warp_reduce(v, op);
    if (lane == 0) scratch[32] = v;
  }
  __syncthreads();
  // A following call writes scratch[0..31] only after every thread passed the barrier above, and
  // scratch[32] only after its own first barrier, which every thread reaches after this read.
  return scratch[32];
}

struct MaxOp {
  __device__ float operator()(float a, float b) const { return fmaxf(a, b); }
};
struct SumOp {
  __device__ float operator()(float a, float b) const { return a + b; }
};

// One block per row (grid-stride over rows): row max, sum of exp(x - max), then the quotients.
__global__ void softmax_rows_kernel(const float* __restrict__ x, float* __restrict__ out, int rows,
                                    int cols) {
  __shared__ float scratch[33];
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const float* xr = x + row * cols;
    float* yr = out + row * cols;
    float max_v = -INFINITY;
    for (int j = static_cast<int>(threadIdx.x); j < cols; j += blockDim.x) {
      max_v = fmaxf(max_v, xr[j]);
    }
    max_v = block_reduce(max_v, -INFINITY, MaxOp{}, scratch);
    float sum = 0.f;
    for (int j = static_cast<int>(threadIdx.x); j < cols; j += blockDim.x) {
      sum += expf(xr[j] - max_v);
    }
    sum = block_reduce(sum, 0.f, SumOp{}, scratch);

    for (int j = static_cast<int>(threadIdx.x); j < cols; j += blockDim.x) {
      yr[j] = expf(xr[j] - max_v) / sum;  // divide (not * 1/sum): same rounding as the host
    }
  }
}

}  // namespace

void add_act(const void* a, QuantS8 a_q, const void* b, QuantS8 b_q, void* out, QuantS8 out_q,
             DType type, int64_t count, Activation act, cudaStream_t stream) {
  if (count == 0) return;
  detail::dispatch_float_s8(type, "add_act", [&](auto tag) {
    using T = typename decltype(tag)::type;
    detail::launch("add_act", add_act_kernel<T>, detail::blocks_for(count), detail::kBlock, stream,
                   static_cast<const T*>(a), a_q, static_cast<const T*>(b), b_q,
                   static_cast<T*>(out), out_q, count, act);
  });
}

void activation(const void* x, void* out, DType type, int64_t count, Activation act, QuantS8 q,
                cudaStream_t stream) {
  if (count == 0) return;
  detail::dispatch_float_s8(type, "activation", [&](auto tag) {
    using T = typename decltype(tag)::type;
    detail::launch("activation", activation_kernel<T>, detail::blocks_for(count), detail::kBlock,
                   stream, static_cast<const T*>(x), static_cast<T*>(out), count, act, q);
  });
}

void softmax_rows(const float* x, float* out, int rows, int cols, cudaStream_t stream) {
  if (rows <= 0 || cols <= 0) return;
  const auto blocks = static_cast<unsigned>(std::min<int64_t>(rows, detail::kMaxBlocks));
  detail::launch("softmax_rows", softmax_rows_kernel, blocks, kSoftmaxBlock, stream, x, out, rows,
                 cols);
}

}  // namespace lowp::cuda

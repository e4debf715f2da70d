// Runs lowp's CUDA kernel source (backends/cuda/*.cu) on the host, inside the CUDA emulation: a
// .cu file compiled by the host compiler after this header gets
//  - the CUDA built-ins: threadIdx, blockIdx, blockDim and gridDim of the emulated GPU thread that
//    is running, __shared__ memory shared by the threads of a block, __syncthreads() and
//    __shfl_xor_sync() (threads of a block that synchronise run as fibers; see
//    kernels_on_host.cc);
//  - run_on_host(), which detail::launch (kernel_math.cuh) calls instead of <<<grid, block>>>: it
//    checks the launch configuration as the CUDA runtime does and enqueues the grid on the
//    emulated stream (so it is captured into CUDA graphs and replayed like any emulated work). When
//    the work runs, pointer arguments (and the pointers inside Int8Epilogue) are translated from
//    emulated device addresses to their host storage, after checking that each lies in a live
//    device allocation; a kernel given a host pointer or a freed buffer is a recorded violation.
// What this cannot show: anything the GPU does differently from this sequential schedule (memory
// ordering between threads that do not synchronise, races), FMA contraction, and speed.
#pragma once

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <tuple>
#include <type_traits>

#include "backends/cuda/kernels.h"
#include "tests/cuda_emulation/emulated_stream.h"

#define LOWP_CUDA_KERNELS_ON_HOST 1

namespace lowp::cuda_emulation {

// Position of the emulated GPU thread this host thread is running.
struct ThreadPosition {
  uint3 thread{0, 0, 0};
  uint3 block{0, 0, 0};
  dim3 block_dim;
  dim3 grid_dim;
};
const ThreadPosition& thread_position();

// __syncthreads() of the running thread: waits until every thread of its block arrived.
void sync_threads();
// __shfl_xor_sync with a full mask on 4 or 8 bytes: `bytes` of `value` from lane (lane ^ lane_mask)
// of the running thread's warp, after every lane of the warp arrived.
void shuffle_xor(void* value, size_t bytes, int lane_mask);

// The body of one emulated GPU thread, with the kernel's arguments already on the host.
using ThreadBody = std::function<void()>;

// Enqueues `grid` x `block` threads of `kernel` on `stream`: when the work runs, bind() translates
// the arguments and returns the thread body, which runs once per thread. Reports a bad launch
// configuration (or an injected launch failure) as the CUDA runtime would, through the last error.
void run_grid(const char* kernel, dim3 grid, dim3 block, cudaStream_t stream,
              std::function<ThreadBody()> bind);

// Host storage behind the emulated device address `p` (null stays null). Throws DeviceFault when
// `p` is not inside a live device allocation.
void* kernel_pointer_to_host(const void* p, const char* kernel);

}  // namespace lowp::cuda_emulation

namespace lowp::cuda::detail {

// Kernel arguments as the host runs them: values unchanged, device pointers translated.
template <typename T>
T argument_on_host(T value, const char*) {
  static_assert(!std::is_pointer_v<T>);
  return value;
}
template <typename T>
T* argument_on_host(T* p, const char* kernel) {
  return static_cast<T*>(
      cuda_emulation::kernel_pointer_to_host(const_cast<std::remove_cv_t<T>*>(p), kernel));
}
inline Int8Epilogue argument_on_host(Int8Epilogue e, const char* kernel) {
  e.w_sum = argument_on_host(e.w_sum, kernel);
  e.bias = argument_on_host(e.bias, kernel);
  e.w_scale = argument_on_host(e.w_scale, kernel);
  e.residual = argument_on_host(e.residual, kernel);
  return e;
}

template <typename... Params>
void run_on_host(const char* name, void (*kernel)(Params...), dim3 grid, dim3 block,
                 cudaStream_t stream, std::type_identity_t<Params>... args) {
  cuda_emulation::run_grid(name, grid, block, stream, [=]() -> cuda_emulation::ThreadBody {
    std::tuple<Params...> on_host{argument_on_host(args, name)...};
    return [kernel, on_host] { std::apply(kernel, on_host); };
  });
}

}  // namespace lowp::cuda::detail

// The CUDA built-ins the kernel source uses.
#undef __shared__
#define __shared__ static thread_local
#define threadIdx (::lowp::cuda_emulation::thread_position().thread)
#define blockIdx (::lowp::cuda_emulation::thread_position().block)
#define blockDim (::lowp::cuda_emulation::thread_position().block_dim)
#define gridDim (::lowp::cuda_emulation::thread_position().grid_dim)

inline void __syncthreads() { lowp::cuda_emulation::sync_threads(); }

template <typename T>
T __shfl_xor_sync(unsigned mask, T value, int lane_mask, int width = 32) {
  static_assert(std::is_trivially_copyable_v<T> && (sizeof(T) == 4 || sizeof(T) == 8));
  if (mask != 0xffffffffu || width != 32) {
    throw lowp::cuda_emulation::DeviceFault{"__shfl_xor_sync: only full warps are emulated"};
  }
  lowp::cuda_emulation::shuffle_xor(&value, sizeof value, lane_mask);
  return value;
}

// The host execution of CUDA kernel source (kernels_on_host.h) itself: block barriers and warp
// shuffles behave as on a GPU, misuse that would hang a GPU is reported, and the backend's two
// kernels that synchronise threads (the NCHW <-> NHWC tile transpose and the row softmax) are
// right on shapes that do not fill their tiles or blocks. Built into cuda_emulated_backend_test.
#include "tests/cuda_emulation/kernels_on_host.h"
// The kernel helpers after the host execution header, as in every kernel file compiled here.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "backends/cuda/kernel_math.cuh"
#include "lowp/error.h"
#include "lowp/tensor.h"
#include "tests/test_util.h"

namespace lowp::cuda {
namespace {

namespace emu = lowp::cuda_emulation;

// Each thread writes its index, then (after the barrier) reads its neighbour's.
__global__ void neighbour_kernel(int* out) {
  __shared__ int values[256];
  const int t = static_cast<int>(threadIdx.x);
  values[t] = t * 10;
  __syncthreads();
  out[blockIdx.x * blockDim.x + t] = values[(t + 1) % blockDim.x];
}

// Sum over the warp by xor shuffles; every lane gets the total.
__global__ void warp_sum_kernel(int* out) {
  int v = static_cast<int>(threadIdx.x);
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
  out[threadIdx.x] = v;
}

// Only the first half of the block reaches the barrier: undefined on a GPU (it may hang).
__global__ void divergent_barrier_kernel(int* out) {
  if (threadIdx.x < blockDim.x / 2) __syncthreads();
  out[threadIdx.x] = 1;
}

template <typename T>
struct DeviceBuffer {
  explicit DeviceBuffer(size_t count) {
    EXPECT_EQ(cudaMalloc(reinterpret_cast<void**>(&p), count * sizeof(T)), cudaSuccess);
  }
  ~DeviceBuffer() { cudaFree(p); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  void upload(const std::vector<T>& v) {
    ASSERT_EQ(cudaMemcpy(p, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice), cudaSuccess);
  }
  std::vector<T> download(size_t count) const {
    std::vector<T> v(count);
    EXPECT_EQ(cudaMemcpy(v.data(), p, count * sizeof(T), cudaMemcpyDeviceToHost), cudaSuccess);
    return v;
  }
  T* p = nullptr;
};

class KernelsOnHost : public ::testing::Test {
 protected:
  void TearDown() override {
    EXPECT_TRUE(emu::violations().empty());
    emu::reset();
  }
};

TEST_F(KernelsOnHost, BarriersAndShufflesSynchroniseThreads) {
  DeviceBuffer<int> out(3 * 256);
  detail::launch("neighbour", neighbour_kernel, 3, 256, nullptr, out.p);
  const std::vector<int> got = out.download(3 * 256);
  for (int b = 0; b < 3; ++b) {
    for (int t = 0; t < 256; ++t)
      ASSERT_EQ(got[b * 256 + t], ((t + 1) % 256) * 10) << b << " " << t;
  }
  DeviceBuffer<int> sums(64);
  detail::launch("warp_sum", warp_sum_kernel, 1, 64, nullptr, sums.p);
  const std::vector<int> s = sums.download(64);
  for (int t = 0; t < 64; ++t) EXPECT_EQ(s[t], t < 32 ? 496 : 32 * 32 + 496) << t;
}

TEST_F(KernelsOnHost, BarrierMisuseIsAViolation) {
  DeviceBuffer<int> out(64);
  EXPECT_THROW(detail::launch("divergent", divergent_barrier_kernel, 1, 64, nullptr, out.p), Error);
  ASSERT_EQ(emu::violations().size(), 1u);
  EXPECT_NE(emu::violations()[0].find("__syncthreads() that 32 of 64 threads never reach"),
            std::string::npos)
      << emu::violations()[0];
  emu::reset();
  // A full-warp shuffle in a block of 48 threads: the second warp has 16 lanes.
  EXPECT_THROW(detail::launch("partial warp", warp_sum_kernel, 1, 48, nullptr, out.p), Error);
  ASSERT_EQ(emu::violations().size(), 1u);
  EXPECT_NE(emu::violations()[0].find("partial warp of 16 threads"), std::string::npos)
      << emu::violations()[0];
  emu::reset();
  // A block of 1025 threads is a launch error, as on a GPU.
  EXPECT_THROW(detail::launch("too big", warp_sum_kernel, 1, 1025, nullptr, out.p), Error);
  (void)cudaGetLastError();
}

std::vector<float> random_values(size_t count, uint32_t seed) {
  const Tensor t = testing::random_tensor({static_cast<int64_t>(count)}, seed, -6.f, 6.f);
  return {t.values<float>().begin(), t.values<float>().end()};
}

TEST_F(KernelsOnHost, TransposeHandlesPartialTiles) {
  for (int c : {1, 3, 31, 33, 64}) {
    for (int hw : {1, 7, 33, 100}) {
      const int n = 2;
      const size_t count = size_t{2} * c * hw;
      const std::vector<float> x = random_values(count, static_cast<uint32_t>(c * 1000 + hw));
      DeviceBuffer<float> src(count), nhwc(count), back(count);
      src.upload(x);
      nchw_to_nhwc(src.p, DType::kF32, nhwc.p, DType::kF32, n, c, hw, 1, nullptr);
      nhwc_to_nchw(nhwc.p, DType::kF32, back.p, DType::kF32, n, c, hw, 1, nullptr);
      const std::vector<float> t = nhwc.download(count);
      const std::vector<float> r = back.download(count);
      for (int b = 0; b < n; ++b) {
        for (int ch = 0; ch < c; ++ch) {
          for (int p = 0; p < hw; ++p) {
            const size_t nchw = (size_t{1} * b * c + ch) * hw + p;
            ASSERT_EQ(t[(size_t{1} * b * hw + p) * c + ch], x[nchw]) << c << " " << hw;
            ASSERT_EQ(r[nchw], x[nchw]) << c << " " << hw;
          }
        }
      }
    }
  }
}

TEST_F(KernelsOnHost, SoftmaxRowsOfAnyLength) {
  for (int cols : {1, 5, 31, 32, 33, 255, 256, 257, 1000, 4097}) {
    const int rows = 3;
    const std::vector<float> x =
        random_values(size_t{1} * rows * cols, static_cast<uint32_t>(cols));
    DeviceBuffer<float> in(x.size()), out(x.size());
    in.upload(x);
    softmax_rows(in.p, out.p, rows, cols, nullptr);
    const std::vector<float> y = out.download(x.size());
    for (int r = 0; r < rows; ++r) {
      double max_v = -INFINITY, sum = 0;
      for (int j = 0; j < cols; ++j) max_v = std::max<double>(max_v, x[r * cols + j]);
      for (int j = 0; j < cols; ++j) sum += std::exp(x[r * cols + j] - max_v);
      for (int j = 0; j < cols; ++j) {
        const double want = std::exp(x[r * cols + j] - max_v) / sum;
        ASSERT_NEAR(y[r * cols + j], want, 1e-6 + 1e-5 * want) << cols << " " << r << " " << j;
      }
    }
  }
}

}  // namespace
}  // namespace lowp::cuda

// Layout and element-type kernels at the graph edges: NCHW <-> NHWC transposes and f32 <-> f16
// conversion.
#include "backends/cuda/kernel_math.cuh"

namespace lowp::cuda {
namespace {

constexpr int kTile = 32;
constexpr int kTileRows = 8;  // threads per tile column: blockDim = (kTile, kTileRows)

// Transposes each of `batches` row-major [rows, cols] matrices of S into [cols, rows] of D through
// a shared-memory tile, so both the reads and the writes are coalesced. One block per 32x32 tile,
// grid-stride over (batch, row tile, col tile).
template <typename S, typename D, typename Idx>
__global__ void transpose_kernel(const S* __restrict__ src, D* __restrict__ dst, Idx batches,
                                 Idx rows, Idx cols) {
  __shared__ float tile[kTile][kTile + 1];
  const Idx row_tiles = (rows + kTile - 1) / kTile;
  const Idx col_tiles = (cols + kTile - 1) / kTile;
  const Idx tiles = batches * row_tiles * col_tiles;
  const Idx plane = rows * cols;
  const int tx = static_cast<int>(threadIdx.x);
  for (Idx t = blockIdx.x; t < tiles; t += gridDim.x) {
    const Idx b = t / (row_tiles * col_tiles);
    const Idx rt = t % (row_tiles * col_tiles);
    const Idx r0 = (rt / col_tiles) * kTile;
    const Idx c0 = (rt % col_tiles) * kTile;
    const S* s = src + b * plane;
    D* d = dst + b * plane;
    for (int j = static_cast<int>(threadIdx.y); j < kTile; j += kTileRows) {
      const Idx r = r0 + j;
      const Idx c = c0 + tx;
      if (r < rows && c < cols) tile[j][tx] = detail::to_float(s[r * cols + c]);
    }
    __syncthreads();
    for (int j = static_cast<int>(threadIdx.y); j < kTile; j += kTileRows) {
      const Idx c = c0 + j;
      const Idx r = r0 + tx;
      if (c < cols && r < rows) d[c * rows + r] = detail::from_float<D>(tile[tx][j]);
    }
    __syncthreads();
  }
}

template <typename S, typename D>
__global__ void convert_kernel(const S* __restrict__ src, D* __restrict__ dst, int64_t count) {
  for (int64_t i = detail::grid_start<int64_t>(); i < count; i += detail::grid_step<int64_t>()) {
    dst[i] = detail::from_float<D>(detail::to_float(src[i]));
  }
}

// Batched transpose [batches, rows, cols] -> [batches, cols, rows] with type conversion.
void transpose(const void* src, DType src_type, void* dst, DType dst_type, int64_t batches,
               int64_t rows, int64_t cols, const char* kernel, cudaStream_t stream) {
  const int64_t count = batches * rows * cols;
  if (count == 0) return;
  const int64_t tiles = batches * ((rows + kTile - 1) / kTile) * ((cols + kTile - 1) / kTile);
  detail::dispatch_float(src_type, kernel, [&](auto s_tag) {
    using S = typename decltype(s_tag)::type;
    detail::dispatch_float(dst_type, kernel, [&](auto d_tag) {
      using D = typename decltype(d_tag)::type;
      detail::dispatch_index(count, [&](auto i_tag) {
        using Idx = typename decltype(i_tag)::type;
        const unsigned blocks = static_cast<unsigned>(std::min(tiles, detail::kMaxBlocks));
        detail::launch(kernel, transpose_kernel<S, D, Idx>, blocks, dim3(kTile, kTileRows), stream,
                       static_cast<const S*>(src), static_cast<D*>(dst), static_cast<Idx>(batches),
                       static_cast<Idx>(rows), static_cast<Idx>(cols));
      });
    });
  });
}

}  // namespace

void nchw_to_nhwc(const void* src, DType src_type, void* dst, DType dst_type, int n, int c, int h,
                  int w, cudaStream_t stream) {
  // Per image: [c, h*w] -> [h*w, c].
  transpose(src, src_type, dst, dst_type, n, c, int64_t{h} * w, "nchw_to_nhwc", stream);
}

void nhwc_to_nchw(const void* src, DType src_type, void* dst, DType dst_type, int n, int c, int h,
                  int w, cudaStream_t stream) {
  // Per image: [h*w, c] -> [c, h*w].
  transpose(src, src_type, dst, dst_type, n, int64_t{h} * w, c, "nhwc_to_nchw", stream);
}

void convert(const void* src, DType src_type, void* dst, DType dst_type, int64_t count,
             cudaStream_t stream) {
  if (count == 0) return;
  detail::dispatch_float(src_type, "convert", [&](auto s_tag) {
    using S = typename decltype(s_tag)::type;
    detail::dispatch_float(dst_type, "convert", [&](auto d_tag) {
      using D = typename decltype(d_tag)::type;
      detail::launch("convert", convert_kernel<S, D>, detail::blocks_for(count), detail::kBlock,
                     stream, static_cast<const S*>(src), static_cast<D*>(dst), count);
    });
  });
}

}  // namespace lowp::cuda

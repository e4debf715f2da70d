// Weights of a Conv / Gemm / MatMul packed for LtGemm and uploaded once per compiled model:
// one row per output channel, columns ordered like the NHWC im2col columns (kh, kw, c) and padded
// with zeros to a multiple of 16 elements. int8 nodes also get the per-channel weight sums (for
// the activation zero point), weight scales and s32 bias the int8 epilogue needs.
#pragma once

#include <cstdint>
#include <vector>

#include "backends/cuda/device_memory.h"
#include "backends/cuda/lt_gemm.h"
#include "lowp/graph.h"

namespace lowp::cuda {

struct PackedLinear {
  GemmType type = GemmType::kF32;
  int64_t n = 0;          // output channels
  int64_t n_gemm = 0;     // weight rows: n, rounded up to 4 for int8 (IMMA wants ldc % 4 == 0)
  int64_t k = 0;          // reduction length (kh * kw * c for a convolution)
  int64_t k_padded = 0;   // k rounded up to 16
  DeviceBuffer weights;   // [n_gemm, k_padded], element type of `type`; rows past n are zero
  DeviceBuffer bias;      // floats: n of the output type (cuBLASLt epilogue); int8: n x s32
  DeviceBuffer bias_f32;  // floats: the bias as f32 (lowp's epilogue kernel); empty for int8
  DeviceBuffer w_sum;     // int8: per channel sum of the weights (s32)
  DeviceBuffer w_scale;   // int8: per channel weight scale (f32)
  // int8: host copies of w_sum, bias (s32, zeros when the node has none) and w_scale, n each, for
  // the lowering's requantizing GEMM epilogue (whose vectors also depend on activation params).
  std::vector<int32_t> host_w_sum, host_bias;
  std::vector<float> host_w_scale;
};

int64_t padded_k(int64_t k);

// Throws kUnsupported naming the node for layouts the CUDA backend does not take (groups,
// transposed A, non-constant weights, a bias that is not one value per output channel).
// `tf32`: f32 GEMMs may use TF32 tensor cores.
PackedLinear pack_conv(const Node& node, bool tf32);
PackedLinear pack_gemm(const Node& node, bool tf32);  // Gemm (transB either way) or MatMul

}  // namespace lowp::cuda

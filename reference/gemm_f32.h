// The one matrix-multiply loop the reference kernels share (Conv via im2col, ConvTranspose, Gemm,
// MatMul): row-major C[M x N] += A[M x K] * B[K x N], blocked for cache, no transposes.
#pragma once

#include <cstdint>

namespace lowp::reference {

void gemm_f32(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
              int64_t ldb, float* c, int64_t ldc);

// dst[cols x rows] = transpose of src[rows x cols] (row-major, dense).
void transpose_f32(const float* src, int64_t rows, int64_t cols, float* dst);

}  // namespace lowp::reference

#include "reference/gemm_f32.h"

#include <algorithm>

namespace lowp::reference {

void gemm_f32(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
              int64_t ldb, float* c, int64_t ldc) {
  constexpr int64_t kBlockN = 512;
  constexpr int64_t kBlockK = 128;
  for (int64_t n0 = 0; n0 < n; n0 += kBlockN) {
    const int64_t nb = std::min(kBlockN, n - n0);
    for (int64_t k0 = 0; k0 < k; k0 += kBlockK) {
      const int64_t k1 = std::min(k, k0 + kBlockK);
      for (int64_t i = 0; i < m; ++i) {
        float* __restrict__ crow = c + i * ldc + n0;
        const float* arow = a + i * lda;
        for (int64_t p = k0; p < k1; ++p) {
          const float av = arow[p];
          const float* __restrict__ brow = b + p * ldb + n0;
          for (int64_t j = 0; j < nb; ++j) crow[j] += av * brow[j];
        }
      }
    }
  }
}

void transpose_f32(const float* src, int64_t rows, int64_t cols, float* dst) {
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) dst[c * rows + r] = src[r * cols + c];
  }
}

}  // namespace lowp::reference

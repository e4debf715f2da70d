// Float kernels compute in f32: these read any float tensor (f32, f16, bf16) as f32 values and
// write f32 values back in the output's own float type.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "lowp/tensor.h"

namespace lowp::reference {

inline std::vector<float> load_floats(const Tensor& t) { return t.to_float(); }

// `values` holds out.numel() entries; out is f32, f16 or bf16 (or s8/u8, saturated).
void store_floats(const std::vector<float>& values, Tensor& out);

// A float as an integer, truncated toward zero; NaN becomes 0 and values beyond int64 saturate
// (ONNX leaves them undefined; a C++ cast would be undefined behaviour).
inline int64_t saturating_int64(double v) {
  if (std::isnan(v)) return 0;
  if (v >= 9.2233720368547758e18) return std::numeric_limits<int64_t>::max();
  if (v <= -9.2233720368547758e18) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(v);
}

}  // namespace lowp::reference

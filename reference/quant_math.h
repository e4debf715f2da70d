// The int8 contract's arithmetic, shared by the reference kernels and the quantization passes:
// real = (q - zero_point) * scale; q = saturate(round_half_even(real / scale) + zero_point).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "lowp/dtype.h"

namespace lowp::reference {

// Round half to even, independent of the floating-point environment's rounding mode.
inline double round_half_even(double v) {
  const double r = std::round(v);  // half away from zero
  if (std::fabs(v - std::trunc(v)) == 0.5) return 2.0 * std::round(v / 2.0);
  return r;
}

// q for `real`, saturated to the storage type's range (s8, u8 or s32).
inline int32_t quantize_value(float real, float scale, int32_t zero_point, DataType storage) {
  double q = round_half_even(static_cast<double>(real / scale)) + zero_point;
  if (std::isnan(q)) q = zero_point;  // NaN has no integer: it quantizes to the zero point
  return static_cast<int32_t>(std::clamp(q, static_cast<double>(storage_min(storage)),
                                         static_cast<double>(storage_max(storage))));
}

inline float dequantize_value(int32_t q, float scale, int32_t zero_point) {
  return static_cast<float>(static_cast<int64_t>(q) - zero_point) * scale;
}

}  // namespace lowp::reference

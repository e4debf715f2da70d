// From measured ranges to int8 quantisation parameters (scale, zero point), for activations
// (asymmetric u8 by default, symmetric s8 on request) and for weights (symmetric s8 per output
// channel). Degenerate ranges never divide by zero: an all-zero tensor is quantised as if its
// range were [0, 1] (asymmetric) or [-1, 1] (symmetric), which represents its zeros exactly and
// keeps bias scales (input scale x weight scale) far from int32 overflow.
#pragma once

#include <cstdint>
#include <string>

#include "lowp/graph.h"
#include "lowp/tensor.h"

namespace lowp {

// A calibrated activation range and the quantisation it implies. min / max are the range the
// scale and zero point represent (for u8: min <= 0 <= max; for s8: -max == min).
struct TensorRange {
  float min = 0.f;
  float max = 0.f;
  float scale = 1.f;
  int32_t zero_point = 0;
  bool operator==(const TensorRange&) const = default;
};

// Asymmetric u8: the range is widened to contain 0, scale = (max - min) / 255,
// zero_point = round(-min / scale) clamped to [0, 255]. Symmetric s8: amax = max(|lo|, |hi|),
// scale = amax / 127, zero_point = 0.
TensorRange make_tensor_range(float lo, float hi, bool symmetric);

// QuantParams (per tensor) for an activation with this range: u8 with the zero point, or s8.
QuantParams activation_quant_params(const TensorRange& range, bool symmetric);

// Signed int8 symmetric per-channel parameters along `axis` (negative counts from the end):
// scale_c = max|w_c| / 127, zero point 0. `name` appears in error messages. f32 weights only.
QuantParams weight_quant_params(const Tensor& w, int axis, const std::string& name = "weight");

// Widens per-channel weight scales (axis = the bias's channels) where the bias, stored in int32 at
// scale input_scale * weight_scale[c], would pass 2^30: a channel whose weights are almost zero
// but whose bias is not (BatchNorm folded into a dead channel: EfficientNet-Lite's stem has one,
// weights 1e-7, bias -4.9) would otherwise have its bias clamped to a fraction of itself. Such a
// channel's weights are then rounded more coarsely, by at most |bias| * 2^-31 / input_scale each.
void widen_weight_scales_for_bias(QuantParams& weight, const Tensor& bias, float input_scale);

}  // namespace lowp

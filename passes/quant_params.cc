#include "passes/quant_params.h"

#include <algorithm>
#include <cmath>

#include "lowp/error.h"

namespace lowp {
namespace {

constexpr float kMinScale = 1e-8f;  // floor for tiny but non-zero ranges

bool usable(float v) { return std::isfinite(v); }

}  // namespace

TensorRange make_tensor_range(float lo, float hi, bool symmetric) {
  if (!usable(lo)) lo = 0.f;
  if (!usable(hi)) hi = 0.f;
  if (lo > hi) std::swap(lo, hi);
  TensorRange r;
  if (symmetric) {
    float amax = std::max(std::fabs(lo), std::fabs(hi));
    if (amax == 0.f) amax = 1.f;
    r.scale = std::max(amax / 127.f, kMinScale);
    r.min = -amax;
    r.max = amax;
    r.zero_point = 0;
    return r;
  }
  lo = std::min(lo, 0.f);
  hi = std::max(hi, 0.f);
  if (hi - lo == 0.f) hi = 1.f;
  r.min = lo;
  r.max = hi;
  r.scale = std::max((hi - lo) / 255.f, kMinScale);
  const float zp = std::nearbyint(-lo / r.scale);
  r.zero_point = static_cast<int32_t>(std::clamp(zp, 0.f, 255.f));
  return r;
}

QuantParams activation_quant_params(const TensorRange& range, bool symmetric) {
  QuantParams q;
  q.scales = {range.scale};
  q.zero_points = {symmetric ? 0 : range.zero_point};
  q.axis = -1;
  q.storage = symmetric ? DataType::kS8 : DataType::kU8;
  return q;
}

QuantParams weight_quant_params(const Tensor& w, int axis, const std::string& name) {
  if (w.dtype() != DataType::kF32) {
    throw_error(ErrorCode::kUnsupported,
                "weight '" + name + "': per-channel int8 quantisation needs f32 weights");
  }
  const int64_t rank = w.rank();
  const int64_t a = axis < 0 ? axis + rank : axis;
  if (rank == 0 || a < 0 || a >= rank) {
    throw_error(ErrorCode::kInvalidArgument,
                "weight '" + name + "': channel axis " + std::to_string(axis) +
                    " is out of range for dims " + dims_to_string(w.dims()));
  }
  const Dims& d = w.dims();
  const int64_t channels = d[static_cast<size_t>(a)];
  int64_t outer = 1;
  int64_t inner = 1;
  for (int64_t i = 0; i < a; ++i) outer *= d[static_cast<size_t>(i)];
  for (int64_t i = a + 1; i < rank; ++i) inner *= d[static_cast<size_t>(i)];

  std::vector<float> amax(static_cast<size_t>(channels), 0.f);
  const float* p = w.data<float>();
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t c = 0; c < channels; ++c) {
      float& m = amax[static_cast<size_t>(c)];
      const float* row = p + (o * channels + c) * inner;
      for (int64_t i = 0; i < inner; ++i) {
        if (std::isfinite(row[i])) m = std::max(m, std::fabs(row[i]));
      }
    }
  }
  QuantParams q;
  q.axis = static_cast<int>(a);
  q.storage = DataType::kS8;
  for (float m : amax) {
    q.scales.push_back(m == 0.f ? 1.f / 127.f : std::max(m / 127.f, kMinScale));
    q.zero_points.push_back(0);
  }
  return q;
}

void widen_weight_scales_for_bias(QuantParams& weight, const Tensor& bias, float input_scale) {
  const std::vector<float> b = bias.to_float();
  if (b.size() != weight.scales.size() || !(input_scale > 0.f)) return;
  constexpr double kLimit = double{1 << 30};
  for (size_t c = 0; c < b.size(); ++c) {
    if (!std::isfinite(b[c])) continue;
    const double needed = std::fabs(static_cast<double>(b[c])) / (input_scale * kLimit);
    if (weight.scales[c] < needed) weight.scales[c] = static_cast<float>(needed);
  }
}

}  // namespace lowp

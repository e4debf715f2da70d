#include "passes/channel_means.h"

#include <cmath>
#include <string>

#include "lowp/error.h"
#include "reference/quant_math.h"

namespace lowp {

void ChannelMeans::observe(const Tensor& t, const QuantParams* quantize) {
  if (t.dtype() != DataType::kF32 || t.rank() < 2) return;
  if (quantize && quantize->scales.size() != 1) {
    throw_error(ErrorCode::kInternal, "channel means: per-channel activation params");
  }
  const float scale = quantize ? quantize->scales[0] : 1.f;
  const int32_t zero = quantize && !quantize->zero_points.empty() ? quantize->zero_points[0] : 0;
  auto real = [&](float v) -> double {
    if (!std::isfinite(v)) return 0.0;
    if (!quantize) return v;
    return reference::dequantize_value(reference::quantize_value(v, scale, zero, quantize->storage),
                                       scale, zero);
  };
  const Dims& d = t.dims();
  const int64_t channels = d[1];
  int64_t inner = 1;
  for (size_t i = 2; i < d.size(); ++i) inner *= d[i];
  if (sums_.empty()) sums_.assign(static_cast<size_t>(channels), 0.0);
  if (static_cast<int64_t>(sums_.size()) != channels) {
    throw_error(ErrorCode::kInvalidArgument,
                "channel means: a batch has " + std::to_string(channels) +
                    " channels, earlier ones had " + std::to_string(sums_.size()));
  }
  const float* p = t.data<float>();
  for (int64_t n = 0; n < d[0]; ++n) {
    for (int64_t c = 0; c < channels; ++c) {
      double s = 0.0;
      const float* row = p + (n * channels + c) * inner;
      for (int64_t i = 0; i < inner; ++i) s += real(row[i]);
      sums_[static_cast<size_t>(c)] += s;
    }
  }
  count_ += static_cast<uint64_t>(d[0] * inner);
}

std::vector<double> ChannelMeans::means() const {
  std::vector<double> m(sums_.size(), 0.0);
  if (count_ == 0) return {};
  for (size_t c = 0; c < m.size(); ++c) m[c] = sums_[c] / static_cast<double>(count_);
  return m;
}

}  // namespace lowp

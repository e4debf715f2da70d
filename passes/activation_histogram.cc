#include "passes/activation_histogram.h"

#include <algorithm>
#include <cmath>

namespace lowp {

void ActivationHistogram::observe(std::span<const float> values) {
  // Pass 1 over the batch: its range, so the bin width can grow before any value is binned.
  bool any = false;
  float lo = 0.f;
  float hi = 0.f;
  uint64_t finite = 0;
  for (float v : values) {
    if (!std::isfinite(v)) {
      ++non_finite_;
      continue;
    }
    if (!any) {
      lo = hi = v;
      any = true;
    }
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    ++finite;
  }
  if (!any) return;
  if (count_ == 0) {
    min_ = lo;
    max_ = hi;
  } else {
    min_ = std::min(min_, lo);
    max_ = std::max(max_, hi);
  }
  count_ += finite;

  const float amax = std::max(std::fabs(lo), std::fabs(hi));
  if (amax > 0.f) {
    int ex = 0;
    std::frexp(amax, &ex);  // amax < 2^ex, so 2048 bins of width 2^(ex-11) cover it
    const int needed = ex - 11;
    if (!has_width_ || needed > exponent_) grow_to(needed);
  }

  // Pass 2: bin |x|. Exact zeros always fall in bin 0, whatever the width.
  const double inv_width = has_width_ ? std::ldexp(1.0, -exponent_) : 0.0;
  for (float v : values) {
    if (!std::isfinite(v)) continue;
    if (v == 0.f) {
      ++zeros_;
      ++bins_[0];
      continue;
    }
    const double scaled = std::fabs(static_cast<double>(v)) * inv_width;
    const int k = std::min(static_cast<int>(scaled), kBins - 1);
    ++bins_[static_cast<size_t>(k)];
  }
}

void ActivationHistogram::grow_to(int exponent) {
  if (has_width_) {
    const int shift = exponent - exponent_;
    std::array<uint64_t, kBins> merged{};
    for (int k = 0; k < kBins; ++k) {
      const int to = shift >= 31 ? 0 : (k >> shift);
      merged[static_cast<size_t>(to)] += bins_[static_cast<size_t>(k)];
    }
    bins_ = merged;
  }
  has_width_ = true;
  exponent_ = exponent;
}

float ActivationHistogram::abs_max() const { return std::max(std::fabs(min_), std::fabs(max_)); }

double ActivationHistogram::bin_width() const {
  return has_width_ ? std::ldexp(1.0, exponent_) : 0.0;
}

int ActivationHistogram::used_bins() const {
  if (!has_width_) return 0;
  for (int k = kBins - 1; k >= 0; --k) {
    if (bins_[static_cast<size_t>(k)] != 0) return k + 1;
  }
  return 0;
}

}  // namespace lowp

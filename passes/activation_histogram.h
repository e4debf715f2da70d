// Streaming statistics of one activation tensor for int8 calibration: exact min / max, the number
// of exact zeros, and a 2048-bin histogram of |x|.
//
// Determinism. The histogram must not depend on batch size or on the order batches arrive in, and
// its memory must not grow with the number of images, yet the range of |x| is only known at the
// end. The bin width is therefore always a power of two, w = 2^e, the smallest one for which 2048
// bins cover the largest |x| seen so far (bins [k*w, (k+1)*w), anchored at 0). When a batch brings
// a larger |x|, e grows and groups of 2^(e'-e) neighbouring bins are summed into one. Because
// floor(|x| / 2w) == floor(floor(|x| / w) / 2) and |x| * 2^-e is exact in double precision, the
// final counts equal binning every value directly at the final width: they depend only on the set
// of values seen, never on how they were batched or ordered. One pass over the data suffices; at
// least 1024 of the 2048 bins cover [0, max|x|).
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace lowp {

class ActivationHistogram {
 public:
  static constexpr int kBins = 2048;

  void observe(std::span<const float> values);

  bool empty() const { return count_ == 0; }
  float min() const { return min_; }
  float max() const { return max_; }
  float abs_max() const;
  uint64_t count() const { return count_; }         // finite values observed
  uint64_t zero_count() const { return zeros_; }    // exact zeros among them
  uint64_t skipped() const { return non_finite_; }  // NaN / inf, left out of everything
  double bin_width() const;                         // 0 while every value seen is 0
  const std::array<uint64_t, kBins>& bins() const { return bins_; }
  // Index one past the last non-empty bin (0 when all values are 0).
  int used_bins() const;

 private:
  void grow_to(int exponent);

  std::array<uint64_t, kBins> bins_{};
  uint64_t count_ = 0;
  uint64_t zeros_ = 0;
  uint64_t non_finite_ = 0;
  float min_ = 0.f;
  float max_ = 0.f;
  bool has_width_ = false;
  int exponent_ = 0;  // bin width 2^exponent_ when has_width_
};

}  // namespace lowp

#include "passes/calibrators.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "lowp/error.h"

namespace lowp {
namespace {

using Bins = std::array<uint64_t, ActivationHistogram::kBins>;

double clamp_to_max(const ActivationHistogram& h, double t) {
  return std::min(t, static_cast<double>(h.abs_max()));
}

// KL(P || Q) for the candidate of `i` bins.
double candidate_divergence(const Bins& bins, int i, uint64_t outliers, int levels,
                            std::vector<double>& q) {
  double p_total = 0.0;
  for (int k = 0; k < i; ++k) p_total += static_cast<double>(bins[static_cast<size_t>(k)]);
  p_total += static_cast<double>(outliers);
  if (p_total == 0.0) return std::numeric_limits<double>::infinity();

  q.assign(static_cast<size_t>(i), 0.0);
  double q_total = 0.0;
  for (int j = 0; j < levels; ++j) {
    const int start = static_cast<int>(static_cast<int64_t>(j) * i / levels);
    const int end = static_cast<int>(static_cast<int64_t>(j + 1) * i / levels);
    double sum = 0.0;
    int nonzero = 0;
    for (int k = start; k < end; ++k) {
      const uint64_t c = bins[static_cast<size_t>(k)];
      sum += static_cast<double>(c);
      nonzero += c != 0;
    }
    if (nonzero == 0) continue;
    const double share = sum / nonzero;
    for (int k = start; k < end; ++k) {
      if (bins[static_cast<size_t>(k)] != 0) q[static_cast<size_t>(k)] = share;
    }
    q_total += sum;
  }
  if (q_total == 0.0) return std::numeric_limits<double>::infinity();

  constexpr double kFloor = 1e-12;  // Q mass where Q is empty but P is not (the last bin)
  double kl = 0.0;
  for (int k = 0; k < i; ++k) {
    double pk = static_cast<double>(bins[static_cast<size_t>(k)]);
    if (k == i - 1) pk += static_cast<double>(outliers);
    if (pk == 0.0) continue;
    pk /= p_total;
    const double qk = std::max(q[static_cast<size_t>(k)] / q_total, kFloor);
    kl += pk * std::log(pk / qk);
  }
  return kl;
}

}  // namespace

double percentile_threshold(const ActivationHistogram& h, double percentile) {
  if (!(percentile > 0.0 && percentile <= 100.0)) {
    throw_error(ErrorCode::kInvalidArgument,
                "calibration percentile " + std::to_string(percentile) + " is not in (0, 100]");
  }
  if (h.empty() || h.bin_width() == 0.0) return 0.0;
  if (percentile == 100.0) return h.abs_max();
  const Bins& bins = h.bins();
  const double target = percentile / 100.0 * static_cast<double>(h.count());
  double cumulative = 0.0;
  for (int k = 0; k < ActivationHistogram::kBins; ++k) {
    const double c = static_cast<double>(bins[static_cast<size_t>(k)]);
    if (c > 0.0 && cumulative + c >= target) {
      const double fraction = std::clamp((target - cumulative) / c, 0.0, 1.0);
      return clamp_to_max(h, (k + fraction) * h.bin_width());
    }
    cumulative += c;
  }
  return h.abs_max();
}

double entropy_threshold(const ActivationHistogram& h, int levels) {
  const int used = h.used_bins();
  if (used <= levels) return h.abs_max();
  // Exact zeros (ReLU outputs) are represented exactly at every threshold: leaving them in
  // bin 0 would make Q smear that spike over a whole group and push the threshold down.
  Bins bins = h.bins();
  bins[0] -= std::min(bins[0], h.zero_count());
  std::vector<uint64_t> suffix(static_cast<size_t>(used) + 1, 0);
  for (int k = used - 1; k >= 0; --k) {
    suffix[static_cast<size_t>(k)] =
        suffix[static_cast<size_t>(k) + 1] + bins[static_cast<size_t>(k)];
  }
  std::vector<double> q;
  double best = std::numeric_limits<double>::infinity();
  int best_i = used;
  for (int i = levels; i <= used; ++i) {
    const double kl = candidate_divergence(bins, i, suffix[static_cast<size_t>(i)], levels, q);
    if (kl < best) {
      best = kl;
      best_i = i;
    }
  }
  return clamp_to_max(h, best_i * h.bin_width());
}

double mse_threshold(const ActivationHistogram& h, int levels) {
  const int used = h.used_bins();
  if (used == 0) return 0.0;
  const Bins& bins = h.bins();
  const double w = h.bin_width();
  // Suffix sums of count, count * centre and count * centre^2.
  std::vector<double> s0(static_cast<size_t>(used) + 1, 0.0);
  std::vector<double> s1(s0.size(), 0.0);
  std::vector<double> s2(s0.size(), 0.0);
  for (int k = used - 1; k >= 0; --k) {
    const size_t i = static_cast<size_t>(k);
    const double c = static_cast<double>(bins[i]);
    const double m = (k + 0.5) * w;
    s0[i] = s0[i + 1] + c;
    s1[i] = s1[i + 1] + c * m;
    s2[i] = s2[i + 1] + c * m * m;
  }
  const double nonzero_total = static_cast<double>(h.count() - h.zero_count());
  double best = std::numeric_limits<double>::infinity();
  int best_i = used;
  for (int i = 1; i <= used; ++i) {
    const size_t t_index = static_cast<size_t>(i);
    const double t = i * w;
    const double clip = std::max(0.0, s2[t_index] - 2.0 * t * s1[t_index] + t * t * s0[t_index]);
    const double inside = nonzero_total - s0[t_index];
    const double step = t / levels;
    const double err = clip + std::max(0.0, inside) * step * step / 12.0;
    if (err < best) {
      best = err;
      best_i = i;
    }
  }
  return clamp_to_max(h, best_i * w);
}

TensorRange calibrated_range(const ActivationHistogram& h, const CalibrationOptions& options) {
  const bool sym = options.symmetric_activations;
  if (h.empty()) return make_tensor_range(0.f, 0.f, sym);
  double t = 0.0;
  switch (options.calibrator) {
    case Calibrator::kMinMax:
      return make_tensor_range(h.min(), h.max(), sym);
    case Calibrator::kPercentile:
      t = percentile_threshold(h, options.percentile);
      break;
    case Calibrator::kEntropy:
      t = entropy_threshold(h, 128);
      break;
    case Calibrator::kMse:
    case Calibrator::kAuto:  // the histogram alone: mse (the per-tensor choice needs the layers)
      t = mse_threshold(h, sym || h.min() < 0.f ? 127 : 255);
      break;
  }
  const float tf = static_cast<float>(t);
  return make_tensor_range(std::max(h.min(), -tf), std::min(h.max(), tf), sym);
}

}  // namespace lowp

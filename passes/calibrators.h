// The four ways lowp turns an activation's statistics (ActivationHistogram: exact min / max and a
// 2048-bin histogram of |x|) into a clipping range for int8.
//
//  - minmax: the exact [min, max]. Never clips; one outlier stretches the scale for everyone.
//  - percentile: the |x| below which `percentile` % of the values lie (linear inside the bin).
//  - entropy (TensorRT's method): for every candidate threshold of i bins, i = 128..used bins,
//    P is the histogram clipped to i bins with the clipped-off counts added to its last bin, and Q
//    is the unclipped first i bins merged into 128 equal groups (quantisation to 128 levels) and
//    expanded back, each group's total spread evenly over the group's non-empty bins. The
//    threshold whose KL(P || Q) is smallest wins: it trades clipping error (P's last bin) against
//    rounding error (Q's coarseness). Empty Q bins where P has mass get a tiny floor. Exact
//    zeros (half of a ReLU's outputs) are left out of P and Q: every threshold represents them
//    exactly, and as a spike in bin 0 they would dominate the divergence.
//  - mse: for every candidate threshold T = i * bin width, the expected squared error is the
//    clipping error sum over bins beyond T of count * (centre - T)^2 plus the rounding error of
//    the non-zero values inside, each (T / levels)^2 / 12 (uniform rounding noise; exact zeros are
//    represented exactly). levels is 255 for u8 data that has no negative values, 127 otherwise.
//    Suffix sums make every candidate O(1).
// The three threshold methods give a bound T on |x|; the range is [max(min, -T), min(max, T)].
#pragma once

#include "lowp/options.h"
#include "passes/activation_histogram.h"
#include "passes/quant_params.h"

namespace lowp {

// Thresholds on |x| (never above the exact max |x|; 0 for an all-zero histogram).
double percentile_threshold(const ActivationHistogram& h, double percentile);
double entropy_threshold(const ActivationHistogram& h, int levels = 128);
double mse_threshold(const ActivationHistogram& h, int levels);

// The range and quantisation for one tensor under `options` (calibrator, percentile, symmetric).
TensorRange calibrated_range(const ActivationHistogram& h, const CalibrationOptions& options);

}  // namespace lowp

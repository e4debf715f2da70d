// int8 calibration: measuring the range of every activation the quantizer needs.
//
// The optimised fp32 graph is cloned, every value to observe becomes an extra graph output, and
// the clone is compiled for the CPU (oneDNN) and run on every batch the CalibrationSource gives.
// Each observed value streams into an ActivationHistogram (exact min / max, 2048-bin histogram of
// |x| with power-of-two bin widths, so the result does not depend on batch size or order and
// memory does not grow with the number of images). A calibrator (calibrators.h) then turns each
// histogram into a range, scale and zero point (quant_params.h). Graph inputs are observed
// directly from the batches.
//
// CalibrationOptions::cache_path: when the file exists, calibrate() reads the ranges from it
// instead of running anything (it must hold every requested value and match
// symmetric_activations); otherwise the ranges are written there after calibrating.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "lowp/graph.h"
#include "lowp/lowp.h"
#include "passes/activation_histogram.h"
#include "passes/quant_params.h"

namespace lowp {

// Sources that know how many images they will give implement this to get a progress bar with a
// total. (Candidate for a `virtual int64_t size() const` on CalibrationSource itself.)
class SizedCalibrationSource : public CalibrationSource {
 public:
  virtual int64_t total_images() const = 0;
};

struct CalibrationStatistics {
  std::map<std::string, ActivationHistogram> tensors;
  int64_t images = 0;  // leading dimension of the first input, summed over batches
  int64_t batches = 0;
  double seconds = 0.0;  // wall time spent running and observing
};

// Every non-constant f32 value produced by a node, plus the f32 graph inputs.
std::vector<std::string> default_calibration_values(const Graph& graph);

// Runs every batch of `source` through a fp32 CPU engine of `graph` (an optimised fp32 graph) and
// gathers statistics of `value_names` (empty: default_calibration_values). Errors name the value
// or the source.
CalibrationStatistics collect_calibration_statistics(const Graph& graph, CalibrationSource& source,
                                                     const std::vector<std::string>& value_names,
                                                     bool verbose_progress);

// One range per tensor of `stats` under options.calibrator / percentile / symmetric_activations.
std::map<std::string, TensorRange> ranges_from_statistics(const CalibrationStatistics& stats,
                                                          const CalibrationOptions& options);

// Statistics + ranges, honouring options.cache_path (see above). verbose_progress: progress bar
// on stderr when it is a terminal.
std::map<std::string, TensorRange> calibrate(const Graph& optimised_fp32_graph,
                                             const CalibrationOptions& options,
                                             const std::vector<std::string>& value_names,
                                             bool verbose_progress);

}  // namespace lowp

// int8 calibration: measuring the range of every activation the quantizer needs.
//
// The optimised fp32 graph is cloned, every value to observe becomes an extra graph output, and
// the clone runs on every batch the CalibrationSource gives, through a GraphRunner the caller makes
// (the engine hands one running fp32 on the CPU backend: calibration never knows a backend).
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
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lowp/graph.h"
#include "lowp/options.h"
#include "passes/activation_histogram.h"
#include "passes/channel_means.h"
#include "passes/quant_params.h"

namespace lowp {

// Sources that know how many images they will give implement this to get a progress bar with a
// total. (Candidate for a `virtual int64_t size() const` on CalibrationSource itself.)
class SizedCalibrationSource : public CalibrationSource {
 public:
  virtual int64_t total_images() const = 0;
};

// Runs one graph on batch after batch: inputs and outputs in graph order, outputs allocated with
// the dims shape inference gives for the inputs' dims.
class GraphRunner {
 public:
  virtual ~GraphRunner() = default;
  virtual void run(const std::vector<const Tensor*>& inputs,
                   const std::vector<Tensor*>& outputs) = 0;
};
// Makes the runner for a graph (compiling it, say), once per calibration.
using GraphRunnerFactory = std::function<std::unique_ptr<GraphRunner>(std::shared_ptr<Graph>)>;

struct CalibrationStatistics {
  std::map<std::string, ActivationHistogram> tensors;
  std::map<std::string, ChannelMeans> channel_means;  // same keys; see quantized_means below
  int64_t images = 0;  // leading dimension of the first input, summed over batches
  int64_t batches = 0;
  double seconds = 0.0;  // wall time spent running and observing
};

// Images in one batch: the first input's leading dimension (1 for a scalar or an empty batch).
int64_t batch_images(const std::vector<Tensor>& inputs);

// Every non-constant f32 value produced by a node, plus the f32 graph inputs.
std::vector<std::string> default_calibration_values(const Graph& graph);

// How many images and batches observe_values ran.
struct ObservedRuns {
  int64_t images = 0;
  int64_t batches = 0;
};
// The observed values of one run (a batch, or a slice of one), by name.
using ValueObserver = std::function<void(const std::map<std::string, const Tensor*>& values)>;

// Runs every batch of `source` through `graph` with `value_names` (empty:
// default_calibration_values) as extra outputs and hands them to `observe`, a run at a time; a
// batch whose observed values exceed max_observed_bytes runs a slice of its images at a time.
// Errors name the value or the source; a source that gives no batch is an error.
ObservedRuns observe_values(const Graph& graph, CalibrationSource& source,
                            const std::vector<std::string>& value_names, bool verbose_progress,
                            const GraphRunnerFactory& make_runner, size_t max_observed_bytes,
                            const ValueObserver& observe);

// Runs every batch of `source` through `graph` (an optimised fp32 graph, with the observed values
// as extra outputs) on a runner from `make_runner`, and gathers statistics of `value_names`
// (empty: default_calibration_values). A batch whose observed values exceed max_observed_bytes
// runs a slice of its images at a time. Values in `quantized_means` have their channel means
// taken after quantizing and dequantizing with those params (bias correction's E[q(x)]). Errors
// name the value or the source.
CalibrationStatistics collect_calibration_statistics(
    const Graph& graph, CalibrationSource& source, const std::vector<std::string>& value_names,
    bool verbose_progress, const GraphRunnerFactory& make_runner,
    size_t max_observed_bytes = size_t{1} << 30,
    const std::map<std::string, QuantParams>& quantized_means = {});

// One range per tensor of `stats` under options.calibrator / percentile / symmetric_activations.
std::map<std::string, TensorRange> ranges_from_statistics(const CalibrationStatistics& stats,
                                                          const CalibrationOptions& options);

// Statistics + ranges, honouring options.cache_path (see above). verbose_progress: progress bar
// on stderr when it is a terminal. `statistics` (optional) receives what was measured (nothing
// when the ranges came from the cache).
std::map<std::string, TensorRange> calibrate(const Graph& optimised_fp32_graph,
                                             const CalibrationOptions& options,
                                             const std::vector<std::string>& value_names,
                                             bool verbose_progress,
                                             const GraphRunnerFactory& make_runner,
                                             CalibrationStatistics* statistics = nullptr);

// Writes `ranges` to the cache file `path` with options' settings.
void save_calibration(const std::string& path, const std::map<std::string, TensorRange>& ranges,
                      int64_t images, const CalibrationOptions& options);

}  // namespace lowp

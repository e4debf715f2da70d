#include "engine/int8_precision.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <utility>

#include "engine/pass_pipeline.h"
#include "lowp/error.h"
#include "passes/bias_correction.h"
#include "passes/calibration.h"
#include "passes/calibration_replay.h"
#include "passes/calibrators.h"
#include "passes/int8_quantization.h"
#include "passes/range_selection.h"

namespace lowp {
namespace {

bool has_calibration(const CalibrationOptions& c) {
  return c.source || (!c.cache_path.empty() && std::filesystem::exists(c.cache_path));
}

ChannelMeanMap means_of(const CalibrationStatistics& stats) {
  ChannelMeanMap out;
  for (const auto& [name, m] : stats.channel_means) {
    if (!m.empty()) out[name] = m.means();
  }
  return out;
}

// For every int8 Conv / Gemm of `int8`: the fp32 value it reads in `fp32` (the same node by name)
// and the params its int8 input has.
std::map<std::string, std::pair<std::string, QuantParams>> int8_linear_inputs(const Graph& fp32,
                                                                              const Graph& int8) {
  std::map<std::string, const Node*> by_name;
  for (const auto& n : fp32.nodes()) by_name[n->name] = n.get();
  std::map<std::string, std::pair<std::string, QuantParams>> out;
  for (const auto& n : int8.nodes()) {
    const Value* x = n->input(0);
    if ((n->op_type != "Conv" && n->op_type != "Gemm") || !x || !x->quant) continue;
    auto it = by_name.find(n->name);
    if (it == by_name.end() || !it->second->input(0)) continue;
    out[n->name] = {it->second->input(0)->name, *x->quant};
  }
  return out;
}

// Bias correction: the fp32 graph's layer means and those of its inputs quantized as the int8
// graph quantizes them, measured on the recorded calibration images.
void correct_biases(Graph& graph, const Graph& fp32, const CompileOptions& options,
                    PassContext& ctx, const RecordingCalibrationSource& recorded,
                    const CalibrationStatistics& fp32_stats) {
  const char* pass = "bias-correction";
  if (!pass_enabled(options, pass) || recorded.batches().empty()) return;
  if (!recorded.complete()) {
    ctx.note(pass,
             "the calibration data is larger than max_recorded_bytes: measured on its "
             "first " +
                 std::to_string(recorded.images()) + " images");
  }
  const auto inputs = int8_linear_inputs(fp32, graph);
  std::map<std::string, QuantParams> quantize;
  for (const auto& [node, input] : inputs) quantize[input.first] = input.second;
  std::vector<std::string> names;
  for (const auto& [name, params] : quantize) names.push_back(name);
  ChannelMeanMap plain = means_of(fp32_stats);
  if (fp32_stats.batches == 0) {  // ranges from a cache: measure E[x] now
    ReplayCalibrationSource replay(recorded.batches(), recorded.describe());
    plain = means_of(collect_calibration_statistics(fp32, replay, names, false, fp32_cpu_runner(),
                                                    options.calibration.max_observed_bytes));
  }
  ReplayCalibrationSource replay(recorded.batches(), recorded.describe());
  const CalibrationStatistics quantized =
      collect_calibration_statistics(fp32, replay, names, false, fp32_cpu_runner(),
                                     options.calibration.max_observed_bytes, quantize);
  const ChannelMeanMap quantized_means = means_of(quantized);
  ChannelMeanMap per_node;
  for (const auto& [node, input] : inputs) {
    auto it = quantized_means.find(input.first);
    if (it != quantized_means.end()) per_node[node] = it->second;
  }
  run_one_pass(BiasCorrectionPass(fp32_output_means(fp32, plain), per_node), graph, ctx);
}

// Range selection runs every layer once per candidate in the reference kernels: on this many of
// the calibration images (the first), which decide the same as all 100 on EfficientNet-Lite.
constexpr int64_t kRangeSelectionImages = 32;

// --calibrator auto: every calibrator's range for each measured tensor but the graph inputs (which
// keep their exact range), mse's first; the winner by consumer error replaces `ranges`.
void select_ranges(const Graph& graph, const CalibrationOptions& calibration,
                   const CalibrationStatistics& stats, const RecordingCalibrationSource& recorded,
                   std::map<std::string, TensorRange>& ranges, PassContext& ctx) {
  std::map<std::string, std::vector<TensorRange>> candidates;
  for (const auto& [name, histogram] : stats.tensors) {
    const Value* v = graph.find_value(name);
    if (!v || std::find(graph.inputs.begin(), graph.inputs.end(), v) != graph.inputs.end())
      continue;
    std::vector<TensorRange>& list = candidates[name];
    list.push_back(ranges.at(name));
    for (Calibrator c :
         {Calibrator::kMse, Calibrator::kMinMax, Calibrator::kPercentile, Calibrator::kEntropy}) {
      CalibrationOptions o = calibration;
      o.calibrator = c;
      const TensorRange r = calibrated_range(histogram, o);
      if (std::find(list.begin(), list.end(), r) == list.end()) list.push_back(r);
    }
  }
  const CalibrationBatches subset = first_images(recorded.batches(), kRangeSelectionImages);
  ReplayCalibrationSource replay(subset, recorded.describe());
  const RangeChoice choice =
      choose_ranges_by_consumer_error(graph, candidates, calibration.symmetric_activations, replay,
                                      fp32_cpu_runner(), calibration.max_observed_bytes);
  int changed = 0;
  for (const auto& [name, r] : choice.ranges) {
    changed += !(ranges[name] == r);
    ranges[name] = r;
  }
  ctx.note("range-selection", std::to_string(changed) + " of " + std::to_string(candidates.size()) +
                                  " tensors take another calibrator's range than mse's (smaller "
                                  "error in the layers reading them)");
}

}  // namespace

void quantize_int8(Graph& graph, const CompileOptions& options, PassContext& ctx) {
  if (!has_calibration(options.calibration)) {
    throw_error(
        ErrorCode::kInvalidArgument,
        "int8 needs calibration data: give a calibration source (lowp: --calib PATH|random) "
        "or an existing calibration cache (--calib-cache FILE)");
  }
  CalibrationOptions calibration = options.calibration;
  std::shared_ptr<RecordingCalibrationSource> recorded;
  const bool cached =
      !calibration.cache_path.empty() && std::filesystem::exists(calibration.cache_path);
  if (calibration.source) {
    recorded = std::make_shared<RecordingCalibrationSource>(*calibration.source,
                                                            calibration.max_recorded_bytes);
    calibration.source = recorded;
    if (!cached) calibration.cache_path.clear();  // written below, once the ranges are final
  }
  CalibrationStatistics stats;
  auto ranges = calibrate(graph, calibration, {}, options.verbose, fp32_cpu_runner(), &stats);
  if (recorded && !cached && calibration.calibrator == Calibrator::kAuto) {
    select_ranges(graph, calibration, stats, *recorded, ranges, ctx);
  }
  ctx.note("calibration", std::to_string(ranges.size()) + " tensor ranges (" +
                              calibrator_name(calibration.calibrator) + ")");
  if (recorded && !cached && !options.calibration.cache_path.empty()) {
    save_calibration(options.calibration.cache_path, ranges, stats.images, calibration);
  }
  const std::unique_ptr<Graph> fp32 = graph.clone();
  run_one_pass(
      Int8QuantizationPass(std::move(ranges), options.keep_fp32, calibration.symmetric_activations),
      graph, ctx);
  if (!recorded) {
    ctx.note("bias-correction",
             "skipped: the ranges came from a calibration cache and no calibration images were "
             "given to measure the layers on");
    return;
  }
  if (cached && pass_enabled(options, "bias-correction")) {  // the ranges did not read the source
    std::vector<Tensor> batch;
    while (recorded->next(batch)) {
    }
  }
  correct_biases(graph, *fp32, options, ctx, *recorded, stats);
}

}  // namespace lowp

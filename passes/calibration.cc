#include "passes/calibration.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <list>
#include <set>

#include "lowp/error.h"
#include "lowp/shape_propagation.h"
#include "passes/calibration_cache.h"
#include "passes/calibrators.h"
#include "passes/progress_bar.h"
#include "reference/reference_executor.h"

namespace lowp {
namespace {

// Where one observed value is read from on every batch.
struct Observed {
  std::string name;
  int input_index = -1;   // a graph input: read from the batch itself
  int output_index = -1;  // otherwise an output of the probe graph
};

int index_of(const std::vector<Value*>& list, const Value* v) {
  auto it = std::find(list.begin(), list.end(), v);
  return it == list.end() ? -1 : static_cast<int>(it - list.begin());
}

// Adds every value to observe to the probe graph's outputs; checks names and types.
std::vector<Observed> plan_observation(Graph& probe, const std::vector<std::string>& names) {
  std::vector<Observed> observed;
  std::set<std::string> seen;
  for (const std::string& name : names) {
    if (!seen.insert(name).second) continue;
    Value* v = probe.find_value(name);
    if (v == nullptr) {
      throw_error(ErrorCode::kInvalidArgument,
                  "calibration: graph '" + probe.name + "' has no value '" + name + "'");
    }
    if (v->is_constant()) {
      throw_error(ErrorCode::kInvalidArgument,
                  "calibration: value '" + name +
                      "' is a constant (constants are quantised from their contents)");
    }
    if (v->dtype != DataType::kF32) {
      throw_error(ErrorCode::kUnsupported, "calibration: value '" + name + "' is " +
                                               name_of(v->dtype) +
                                               ", only f32 values are measured");
    }
    Observed o;
    o.name = name;
    o.input_index = index_of(probe.inputs, v);
    if (o.input_index < 0) {
      o.output_index = index_of(probe.outputs, v);
      if (o.output_index < 0) {
        probe.outputs.push_back(v);
        o.output_index = static_cast<int>(probe.outputs.size()) - 1;
      }
    }
    observed.push_back(std::move(o));
  }
  return observed;
}

// The dtype and dims of every probe output for one set of input dims. Shape computations
// (Shape -> Gather -> Concat -> Reshape, as ViT, Swin and ShuffleNetV2 exports have) are evaluated
// for these dims.
std::vector<std::pair<DataType, Dims>> output_types(const Graph& probe,
                                                    const std::vector<Dims>& input_dims) {
  std::list<Tensor> storage;
  auto known = infer_concrete(probe, input_dims, reference::run_node, storage);
  std::vector<std::pair<DataType, Dims>> types;
  for (const Value* o : probe.outputs) {
    auto it = known.find(o);
    if (it == known.end()) {
      throw_error(ErrorCode::kUnsupported,
                  "calibration: dims of value '" + o->name + "' cannot be inferred for inputs " +
                      (input_dims.empty() ? std::string("()") : dims_to_string(input_dims[0])));
    }
    types.emplace_back(it->second.dtype, it->second.dims);
  }
  return types;
}

std::vector<Tensor> allocate_outputs(const Graph& probe, const std::vector<Dims>& input_dims) {
  std::vector<Tensor> outputs;
  for (const auto& [dtype, dims] : output_types(probe, input_dims))
    outputs.emplace_back(dtype, dims);
  return outputs;
}

void check_batch(const Graph& probe, const std::vector<Tensor>& inputs, const std::string& source) {
  if (inputs.size() != probe.inputs.size()) {
    throw_error(ErrorCode::kInvalidArgument,
                "calibration source " + source + " gave " + std::to_string(inputs.size()) +
                    " tensors, the model has " + std::to_string(probe.inputs.size()) + " inputs");
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Value* v = probe.inputs[i];
    if (inputs[i].dtype() != v->dtype) {
      throw_error(ErrorCode::kInvalidArgument, "calibration source " + source + ": input '" +
                                                   v->name + "' is " + name_of(inputs[i].dtype()) +
                                                   ", the model expects " + name_of(v->dtype));
    }
    // The rank, and every dimension but the batch the model fixes (a batch of the wrong image
    // size would run and give ranges that mean nothing; calibration batches images along the
    // first axis even where the model says 1).
    bool fits = !v->shape.has_rank() || inputs[i].rank() == static_cast<int64_t>(v->shape.rank());
    for (size_t d = 1; fits && v->shape.has_rank() && d < v->shape.rank(); ++d) {
      const int64_t want = v->shape.dims()[d].size;
      fits = want < 0 || inputs[i].dims()[d] == want;
    }
    if (!fits) {
      throw_error(ErrorCode::kInvalidArgument, "calibration source " + source + ": input '" +
                                                   v->name + "' has dims " +
                                                   dims_to_string(inputs[i].dims()) +
                                                   ", the model expects " + v->shape.to_string());
    }
  }
}

// How many images of `inputs` to run at once: every activation of a batch is an output of the
// probe (EfficientNet-B5's 32 calibration images at once took 19 GB), so all of them only when the
// probe's outputs for the whole batch fit in `budget` bytes (or the inputs share no batch dim).
int64_t images_per_run(const Graph& probe, const std::vector<Tensor>& inputs,
                       const std::vector<Dims>& batch_dims, double budget) {
  const int64_t n = batch_images(inputs);
  for (const Tensor& t : inputs) {
    if (t.rank() == 0 || t.dims()[0] != n) return n;
  }
  double bytes = 0;
  for (const auto& [dtype, dims] : output_types(probe, batch_dims)) {
    bytes += static_cast<double>(element_count(dims)) * static_cast<double>(size_of(dtype));
  }
  if (n <= 1 || bytes <= budget) return n;
  return std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(n) * budget / bytes));
}

// Images [start, start + count) of every input, as views.
std::vector<Tensor> image_slice(const std::vector<Tensor>& inputs, int64_t start, int64_t count) {
  std::vector<Tensor> out;
  for (const Tensor& t : inputs) {
    Dims dims = t.dims();
    const size_t row = t.bytes() / static_cast<size_t>(dims[0]);
    dims[0] = count;
    out.push_back(Tensor::view(
        t.dtype(), dims,
        const_cast<char*>(static_cast<const char*>(t.raw())) + row * static_cast<size_t>(start)));
  }
  return out;
}

void check_cache_covers(const CalibrationCache& cache, const std::string& path,
                        const std::vector<std::string>& names, const CalibrationOptions& options) {
  if (cache.meta.symmetric != options.symmetric_activations) {
    throw_error(ErrorCode::kInvalidArgument,
                "calibration cache '" + path + "' holds " +
                    (cache.meta.symmetric ? "symmetric s8" : "asymmetric u8") +
                    " ranges but the compile asks for the other; delete the cache to recalibrate");
  }
  for (const std::string& name : names) {
    if (!cache.ranges.count(name)) {
      throw_error(ErrorCode::kInvalidArgument,
                  "calibration cache '" + path + "' has no range for value '" + name +
                      "' (made for another model or pass pipeline?); delete it to recalibrate");
    }
  }
}

}  // namespace

int64_t batch_images(const std::vector<Tensor>& inputs) {
  if (inputs.empty() || inputs[0].rank() == 0) return 1;
  return inputs[0].dims()[0];
}

std::vector<std::string> default_calibration_values(const Graph& graph) {
  std::vector<std::string> names;
  for (const Value* v : graph.inputs) {
    if (v->dtype == DataType::kF32 && !v->is_constant()) names.push_back(v->name);
  }
  for (const auto& node : graph.nodes()) {
    for (const Value* v : node->outputs) {
      if (v && v->dtype == DataType::kF32 && !v->is_constant()) names.push_back(v->name);
    }
  }
  return names;
}

ObservedRuns observe_values(const Graph& graph, CalibrationSource& source,
                            const std::vector<std::string>& value_names, bool verbose_progress,
                            const GraphRunnerFactory& make_runner, size_t max_observed_bytes,
                            const ValueObserver& observe) {
  std::shared_ptr<Graph> probe = graph.clone();
  const std::vector<Observed> observed = plan_observation(
      *probe, value_names.empty() ? default_calibration_values(graph) : value_names);
  std::unique_ptr<GraphRunner> runner = make_runner(probe);

  const auto* sized = dynamic_cast<const SizedCalibrationSource*>(&source);
  ProgressBar progress("calibrating", sized ? sized->total_images() : -1, "images",
                       verbose_progress);
  const std::string what = source.describe();
  std::vector<Tensor> inputs;
  std::vector<Dims> dims;
  std::vector<Tensor> outputs;
  std::map<std::string, const Tensor*> values;
  auto measure = [&](const std::vector<Tensor>& part) {
    std::vector<Dims> part_dims;
    for (const Tensor& t : part) part_dims.push_back(t.dims());
    if (outputs.empty() || part_dims != dims) {
      outputs = allocate_outputs(*probe, part_dims);
      dims = part_dims;
    }
    std::vector<const Tensor*> in_ptrs;
    for (const Tensor& t : part) in_ptrs.push_back(&t);
    std::vector<Tensor*> out_ptrs;
    for (Tensor& t : outputs) out_ptrs.push_back(&t);
    runner->run(in_ptrs, out_ptrs);
    for (const Observed& o : observed) {
      values[o.name] = o.input_index >= 0 ? &part[static_cast<size_t>(o.input_index)]
                                          : &outputs[static_cast<size_t>(o.output_index)];
    }
    observe(values);
  };
  ObservedRuns runs;
  while (source.next(inputs)) {
    check_batch(*probe, inputs, what);
    std::vector<Dims> batch_dims;
    for (const Tensor& t : inputs) batch_dims.push_back(t.dims());
    const int64_t n = batch_images(inputs);
    const int64_t step = n <= 1 ? n
                                : images_per_run(*probe, inputs, batch_dims,
                                                 static_cast<double>(max_observed_bytes));
    if (step >= n) {
      measure(inputs);
    } else {
      for (int64_t start = 0; start < n; start += step) {
        measure(image_slice(inputs, start, std::min(step, n - start)));
      }
    }
    runs.images += n;
    ++runs.batches;
    progress.update(runs.images);
  }
  progress.finish();
  if (runs.batches == 0) {
    throw_error(ErrorCode::kInvalidArgument, "calibration source " + what + " gave no batches");
  }
  return runs;
}

CalibrationStatistics collect_calibration_statistics(
    const Graph& graph, CalibrationSource& source, const std::vector<std::string>& value_names,
    bool verbose_progress, const GraphRunnerFactory& make_runner, size_t max_observed_bytes,
    const std::map<std::string, QuantParams>& quantized_means) {
  const auto start = std::chrono::steady_clock::now();
  CalibrationStatistics stats;
  const ObservedRuns runs = observe_values(
      graph, source, value_names, verbose_progress, make_runner, max_observed_bytes,
      [&](const std::map<std::string, const Tensor*>& values) {
        for (const auto& [name, t] : values) {
          stats.tensors[name].observe(t->values<float>());
          auto q = quantized_means.find(name);
          stats.channel_means[name].observe(*t, q == quantized_means.end() ? nullptr : &q->second);
        }
      });
  stats.images = runs.images;
  stats.batches = runs.batches;
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return stats;
}

std::map<std::string, TensorRange> ranges_from_statistics(const CalibrationStatistics& stats,
                                                          const CalibrationOptions& options) {
  std::map<std::string, TensorRange> ranges;
  for (const auto& [name, histogram] : stats.tensors) {
    ranges[name] = calibrated_range(histogram, options);
  }
  return ranges;
}

std::map<std::string, TensorRange> calibrate(const Graph& optimised_fp32_graph,
                                             const CalibrationOptions& options,
                                             const std::vector<std::string>& value_names,
                                             bool verbose_progress,
                                             const GraphRunnerFactory& make_runner,
                                             CalibrationStatistics* statistics) {
  const std::vector<std::string> names =
      value_names.empty() ? default_calibration_values(optimised_fp32_graph) : value_names;
  const std::string& cache_path = options.cache_path;
  std::error_code ec;
  if (!cache_path.empty() && std::filesystem::exists(cache_path, ec)) {
    CalibrationCache cache = read_calibration_cache(cache_path);
    check_cache_covers(cache, cache_path, names, options);
    std::map<std::string, TensorRange> ranges;
    for (const std::string& name : names) ranges[name] = cache.ranges.at(name);
    return ranges;
  }
  if (!options.source) {
    throw_error(ErrorCode::kInvalidArgument,
                "int8 calibration needs a calibration source" +
                    (cache_path.empty() ? std::string()
                                        : " (the cache '" + cache_path + "' does not exist)"));
  }
  CalibrationStatistics stats =
      collect_calibration_statistics(optimised_fp32_graph, *options.source, names, verbose_progress,
                                     make_runner, options.max_observed_bytes);
  std::map<std::string, TensorRange> ranges = ranges_from_statistics(stats, options);
  // Graph inputs keep their exact range whatever the calibrator: they are bounded, preprocessed
  // data, and clipping them (a dark background is a spike that entropy and percentile cut at)
  // distorts every layer after them.
  CalibrationOptions exact = options;
  exact.calibrator = Calibrator::kMinMax;
  for (const Value* in : optimised_fp32_graph.inputs) {
    auto it = stats.tensors.find(in->name);
    if (it != stats.tensors.end()) ranges[in->name] = calibrated_range(it->second, exact);
  }
  if (!cache_path.empty()) save_calibration(cache_path, ranges, stats.images, options);
  if (statistics) *statistics = std::move(stats);
  return ranges;
}

void save_calibration(const std::string& path, const std::map<std::string, TensorRange>& ranges,
                      int64_t images, const CalibrationOptions& options) {
  CalibrationCacheMeta meta;
  meta.calibrator = calibrator_name(options.calibrator);
  meta.percentile = options.percentile;
  meta.images = images;
  meta.symmetric = options.symmetric_activations;
  write_calibration_cache(path, ranges, meta);
}

}  // namespace lowp

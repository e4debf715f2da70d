#include "tools/cli/accuracy_budget.h"

#include <algorithm>
#include <cstdio>

#include "passes/progress_bar.h"
#include "tools/cli/compare_metrics.h"
#include "tools/cli/dataset_run.h"
#include "tools/cli/model_util.h"
#include "tools/cli/preprocess_args.h"

namespace lowp::cli {
namespace {

constexpr int kBatch = 16;

Dims input_dims(const Engine& engine) { return engine.inputs().at(0).dims; }

bool is_int8(const PrecisionArgs& precision) { return precision.precision == "int8"; }

// `fp32`'s graph compiled at precision.precision with `keep` in fp32. `scoring` (int8): ranges
// from the cache only and no bias correction (a sensitivity variant); otherwise the full int8
// stage.
std::shared_ptr<const Engine> compile_reduced(const Engine& fp32, const PrecisionArgs& precision,
                                              int threads, const std::vector<std::string>& keep,
                                              std::vector<std::string> disabled, bool scoring) {
  CompileOptions options = compile_options(precision, threads);
  options.keep_fp32.insert(options.keep_fp32.end(), keep.begin(), keep.end());
  set_preprocessing_and_calibration(options, precision, fp32.options().preprocessing,
                                    input_dims(fp32));
  if (scoring && is_int8(precision)) {
    options.calibration.source = nullptr;
    disabled.push_back("bias-correction");
  }
  options.disabled_passes = std::move(disabled);
  return Engine::compile(std::shared_ptr<Graph>(fp32.graph().clone()), options);
}

double relative_error(const Tensor& y, const Tensor& ref) {
  double noise = 0.0;
  double signal = 0.0;
  for (int64_t i = 0; i < ref.numel(); ++i) {
    const double r = ref.data<float>()[i];
    const double d = y.data<float>()[i] - r;
    noise += d * d;
    signal += r * r;
  }
  return signal > 0.0 ? noise / signal : noise;
}

}  // namespace

bool within(double drop, double max_drop) {
  constexpr double kPointsTolerance = 1e-9;
  return drop <= max_drop + kPointsTolerance;
}

std::vector<LayerSensitivity> reduced_layers(const Graph& graph) {
  std::vector<LayerSensitivity> layers;
  for (const auto& n : graph.nodes()) {
    const Value* w = n->input(1);
    if ((n->op_type == "Conv" || n->op_type == "Gemm") && w && w->constant &&
        (w->constant->dtype() == DataType::kS8 || w->constant->dtype() == DataType::kBF16)) {
      layers.push_back({n->name, n->op_type, 0.0});
    }
  }
  return layers;
}

std::vector<LayerSensitivity> rank_layers(const Engine& fp32, const Engine& reduced,
                                          const PrecisionArgs& precision, int threads,
                                          const LabelledSet& set, int64_t images) {
  std::vector<LayerSensitivity> layers = reduced_layers(reduced.graph());
  const Tensor reference = run_set(fp32, set, kBatch, nullptr, images);
  ProgressBar progress("measuring layer sensitivity", static_cast<int64_t>(layers.size()), "layers",
                       true);
  for (size_t i = 0; i < layers.size(); ++i) {
    std::vector<std::string> others;
    for (size_t j = 0; j < layers.size(); ++j) {
      if (j != i) others.push_back(layers[j].node);
    }
    auto alone = compile_reduced(fp32, precision, threads, others, {}, true);
    layers[i].error = relative_error(run_set(*alone, set, kBatch, nullptr, images), reference);
    progress.update(static_cast<int64_t>(i + 1));
  }
  progress.finish();
  std::stable_sort(layers.begin(), layers.end(),
                   [](const auto& a, const auto& b) { return a.error > b.error; });
  return layers;
}

BudgetResult compile_within_budget(const std::string& onnx_path, const PrecisionArgs& precision,
                                   int threads, const std::vector<std::string>& disabled_passes,
                                   const BudgetArgs& budget) {
  if (precision.precision != "int8" && precision.precision != "bf16")
    throw UsageError("--max-accuracy-drop needs --precision int8 or bf16");
  if (budget.validation.empty()) throw UsageError("--max-accuracy-drop needs --validation DATA");
  if (is_int8(precision) && precision.calib.empty())
    throw UsageError("--max-accuracy-drop needs --calib DATA at int8");
  PrecisionArgs reduced_args = precision;
  const TemporaryFile own_cache("budget", ".calib.json");
  if (is_int8(precision) && reduced_args.calib_cache.empty())
    reduced_args.calib_cache = own_cache.path;
  PrecisionArgs fp32_args = precision;
  fp32_args.precision = "fp32";
  fp32_args.calib.clear();
  BudgetResult r;
  auto fp32 = compile_model(onnx_path, compile_options(fp32_args, threads), fp32_args);
  const std::optional<Preprocessing> pre =
      resolve_preprocessing(precision.preprocess, fp32->options().preprocessing, input_dims(*fp32));
  const LabelledSet set = load_compare_inputs(
      {"", "", budget.validation, "", budget.labels, budget.limit}, fp32->inputs().at(0), pre, {});
  const Tensor fp32_logits = run_set(*fp32, set, kBatch);
  const PrecisionSummary fp32_summary = summarise(fp32_logits, fp32_logits, set.labels);
  r.labelled = fp32_summary.top1_accuracy >= 0.0;
  r.fp32_metric = r.labelled ? 100.0 * fp32_summary.top1_accuracy : 100.0;
  auto drop_of = [&](const Engine& engine) {
    const PrecisionSummary s = summarise(run_set(engine, set, kBatch), fp32_logits, set.labels);
    return r.labelled ? r.fp32_metric - 100.0 * s.top1_accuracy : 100.0 * (1.0 - s.top1_agreement);
  };
  const char* metric = r.labelled ? "top-1" : "agreement with fp32";
  std::fprintf(stderr, "fp32 %s on %zu validation images: %.2f%%\n", metric, set.images.size(),
               r.fp32_metric);

  const char* name = precision.precision.c_str();
  auto plain = compile_reduced(*fp32, reduced_args, threads, {}, disabled_passes, false);
  r.plain_drop = r.drop = drop_of(*plain);
  r.engine = plain;
  std::fprintf(stderr, "%s: drop %.2f points (budget %.2f)\n", name, r.drop, budget.max_drop);
  if (!within(r.drop, budget.max_drop)) {
    r.ranking = rank_layers(*fp32, *plain, reduced_args, threads, set, budget.rank_images);
    for (const LayerSensitivity& layer : r.ranking) {
      r.kept.push_back(layer.node);
      r.engine = compile_reduced(*fp32, reduced_args, threads, r.kept, disabled_passes, false);
      r.drop = drop_of(*r.engine);
      std::fprintf(stderr, "%s with %zu layer(s) in fp32 (+ %s): drop %.2f points\n", name,
                   r.kept.size(), layer.node.c_str(), r.drop);
      if (within(r.drop, budget.max_drop)) break;
    }
  }
  r.met = within(r.drop, budget.max_drop);
  run_set(*fp32, set, 1, &r.fp32_ms, 1);
  run_set(*plain, set, 1, &r.plain_ms, 1);
  run_set(*r.engine, set, 1, &r.plan_ms, 1);
  return r;
}

}  // namespace lowp::cli

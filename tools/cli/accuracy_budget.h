// The accuracy budget of a reduced precision (`lowp compile --precision int8|bf16
// --max-accuracy-drop P --validation DATA`) and the per-layer sensitivity it ranks layers by (also
// shown by `lowp compare --per-layer`).
//
// Sensitivity of a layer: the relative squared error of the model's output,
// ||y - y_fp32||^2 / ||y_fp32||^2 over the first images of the data, when that layer alone runs
// in the reduced precision (every other Conv / Gemm kept in fp32; int8: ranges from the same
// calibration, bias correction off so each variant compiles in a moment). The budget then
// compiles the full plan and, while the drop from fp32 (top-1 points against the labels, or
// 100 - agreement with fp32 in points when the data has none) exceeds P, moves the next most
// sensitive layer to fp32 and compiles again. An int8 layer goes to fp32, not bf16, although this
// CPU has it: bf16 keeps 8 significant bits, no more than int8 over a calibrated range, and moving
// EfficientNet-Lite2's most sensitive layers to bf16 raised the drop (0.50 -> 0.75 .. 1.25 points
// over the first 7 steps) where fp32 lowered it. Everything is deterministic: the same data gives
// the same plan.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lowp/lowp.h"
#include "tools/cli/cli_options.h"
#include "tools/cli/compare_dataset.h"
#include "tools/cli/compare_metrics.h"

namespace lowp::cli {

// The reduced-precision Conv / Gemm nodes of an int8 or bf16 engine's graph (s8 / bf16 weights),
// in graph order.
std::vector<LayerSensitivity> reduced_layers(const Graph& graph);

// Compiles `fp32`'s graph once per reduced layer of `reduced` (compiled at precision.precision)
// with every other layer kept in fp32, runs the first `images` of `set`, and returns the layers
// most sensitive first. int8: `precision` gives the calibration (its cache must exist: the int8
// compile wrote it).
std::vector<LayerSensitivity> rank_layers(const Engine& fp32, const Engine& reduced,
                                          const PrecisionArgs& precision, int threads,
                                          const LabelledSet& set, int64_t images);

// Whether a drop meets the budget. Drops come from fractions of photos, which binary floating
// point does not hold exactly (100 (1 - 398 / 400) = 0.5000000000000004): within 1e-9 points.
bool within(double drop, double max_drop);

struct BudgetArgs {
  double max_drop = -1.0;    // points; < 0: no budget
  std::string validation;    // dataset (as compare --dataset)
  std::string labels;        // --validation-labels Y.npy for an .npy dataset
  int64_t limit = 0;         // --validation-count (0: all)
  int64_t rank_images = 64;  // images the sensitivity is measured on
};

struct BudgetResult {
  std::shared_ptr<const Engine> engine;  // the plan to save
  std::vector<LayerSensitivity> ranking;
  std::vector<std::string> kept;  // layers moved to fp32, most sensitive first
  double fp32_metric = 0.0;       // top-1 % (labels) or 100 (agreement)
  double plain_drop = 0.0;        // the plan with every layer reduced
  double drop = 0.0;              // the returned plan's
  bool labelled = false;
  bool met = false;
  double fp32_ms = 0.0, plain_ms = 0.0, plan_ms = 0.0;  // batch-1 median latency
};

// Compiles the ONNX model at precision.precision (int8 or bf16) within the budget; prints each
// step to stderr.
BudgetResult compile_within_budget(const std::string& onnx_path, const PrecisionArgs& precision,
                                   int threads, const std::vector<std::string>& disabled_passes,
                                   const BudgetArgs& budget);

}  // namespace lowp::cli

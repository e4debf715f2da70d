// `lowp compare --report FILE.html`: one self-contained HTML page (inline CSS and SVG, thumbnails
// as data: URLs, no script, nothing fetched) with the precisions' table, the distribution of
// top-1 probability changes, the images whose top-1 changed, per-class agreement, the per-layer
// error and the layers' sensitivity.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lowp/preprocessing.h"
#include "tools/cli/compare_dataset.h"
#include "tools/cli/compare_metrics.h"

namespace lowp::cli {

struct ReportRun {
  std::string precision;
  std::string device;
  std::string note;
  double latency_ms = 0.0;
  int64_t plan_bytes = 0;
  PrecisionSummary summary;
  std::vector<LayerError> layers;             // empty without --per-layer
  std::vector<LayerSensitivity> sensitivity;  // --per-layer, int8 / bf16; most sensitive first
};

struct CompareReport {
  std::string model;
  std::string inputs;  // what was compared: the image, folder or file
  std::optional<Preprocessing> preprocessing;
  const LabelledSet* set = nullptr;
  std::vector<ReportRun> runs;  // fp32 first
  int batch = 1;
};

std::string render_compare_report(const CompareReport& report);

// A thumbnail of a preprocessed input (its preprocessing undone, else its values stretched to
// 0..255) as a PNG data: URL, at most `side` pixels a side; "" when the tensor is not an image.
std::string thumbnail_data_url(const Tensor& image, const std::optional<Preprocessing>& pre,
                               int side);

}  // namespace lowp::cli

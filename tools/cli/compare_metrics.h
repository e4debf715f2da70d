// What `lowp compare` measures for one precision against the fp32 reference.
#pragma once

#include <string>
#include <vector>

#include "lowp/graph.h"
#include "lowp/tensor.h"

namespace lowp::cli {

struct ImageResult {
  int64_t top1 = -1;
  float top1_prob = 0.f;
  float prob_delta = 0.f;   // p(fp32's top-1 class) - fp32's p for this image
  float prob_change = 0.f;  // |prob_delta|
  float max_abs_logit_diff = 0.f;
  float mean_abs_logit_diff = 0.f;
};

struct PrecisionSummary {
  std::vector<ImageResult> images;
  double top1_accuracy = -1.0;  // over labelled images; -1 when none is labelled
  double top1_agreement = 1.0;  // top-1 equal to fp32's
  double mean_abs_prob_change = 0.0;
  double max_abs_prob_change = 0.0;
  double max_abs_logit_diff = 0.0;
  double mean_abs_logit_diff = 0.0;
};

// logits: [n, classes] f32 for this precision and for fp32; labels -1 = unknown.
PrecisionSummary summarise(const Tensor& logits, const Tensor& fp32_logits,
                           const std::vector<int64_t>& labels);

struct LayerError {
  std::string value;
  std::string op;
  double sqnr_db = 0.0;  // 10 log10(|ref|^2 / |x - ref|^2); inf when equal
  double cosine = 1.0;
};

// A layer's sensitivity (the accuracy budget ranks by it, tools/cli/accuracy_budget.h).
struct LayerSensitivity {
  std::string node;
  std::string op;
  double error = 0.0;  // relative squared error of the output, this layer alone reduced
};

// Runs both graphs on `input` with the reference kernels and compares every value the two share
// by name (quantized values are dequantized first), in the fp32 graph's node order.
std::vector<LayerError> per_layer_errors(const Graph& fp32, const Graph& other,
                                         const Tensor& input);

}  // namespace lowp::cli

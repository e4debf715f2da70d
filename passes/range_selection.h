// Per-tensor choice of the int8 range by the error it causes in the layers that read the tensor.
//
// No single calibrator is best everywhere (on EfficientNet-Lite2 mse was lowp's worst of the
// four, on Lite1 its best): a tensor whose tail matters to the next layer wants minmax, a long
// thin tail wants clipping. For each tensor the candidates are the ranges the four calibrators
// give from its histogram. Each consumer of the tensor (Conv, Gemm, Add, pools...: the layer it
// feeds, fused activation included) runs through the reference kernels on the calibration images
// once with the exact tensor and once per candidate with the tensor quantized and dequantized by
// it, its other inputs exact. The candidate with the smallest error wins, the error being the sum
// over consumers of ||y_q - y||^2 / ||y||^2; ties go to the first candidate listed (the
// configured calibrator's).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "passes/calibration.h"

namespace lowp {

struct RangeChoice {
  std::map<std::string, TensorRange> ranges;          // the winner per tensor
  std::map<std::string, size_t> chosen;               // its index among the tensor's candidates
  std::map<std::string, std::vector<double>> errors;  // per candidate, for reports and tests
};

// candidates: per tensor name, the ranges to choose among (first = the default). Tensors with one
// candidate, or without a consumer whose inputs are all observed or constant, keep their first.
RangeChoice choose_ranges_by_consumer_error(
    const Graph& fp32_graph, const std::map<std::string, std::vector<TensorRange>>& candidates,
    bool symmetric, CalibrationSource& source, const GraphRunnerFactory& make_runner,
    size_t max_observed_bytes);

}  // namespace lowp

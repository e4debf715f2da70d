#include "reference/fused_activation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "lowp/error.h"

namespace lowp::reference {

void apply_fused_activation(const Node& node, float* data, int64_t n) {
  if (!node.has_attr("_activation")) return;
  const std::string act = node.attr_string("_activation", "");
  if (act == "Relu") {
    for (int64_t i = 0; i < n; ++i) data[i] = std::max(data[i], 0.f);
  } else if (act == "LeakyRelu") {
    const float alpha = node.attr_float("_alpha", 0.01f);
    for (int64_t i = 0; i < n; ++i) data[i] = data[i] < 0.f ? alpha * data[i] : data[i];
  } else if (act == "Clip") {
    const float lo = node.attr_float("_alpha", -std::numeric_limits<float>::infinity());
    const float hi = node.attr_float("_beta", std::numeric_limits<float>::infinity());
    for (int64_t i = 0; i < n; ++i) data[i] = std::min(std::max(data[i], lo), hi);
  } else if (act == "Sigmoid") {
    for (int64_t i = 0; i < n; ++i) data[i] = 1.f / (1.f + std::exp(-data[i]));
  } else if (act == "Tanh") {
    for (int64_t i = 0; i < n; ++i) data[i] = std::tanh(data[i]);
  } else if (act == "HardSigmoid") {
    const float alpha = node.attr_float("_alpha", 0.2f);
    const float beta = node.attr_float("_beta", 0.5f);
    for (int64_t i = 0; i < n; ++i) data[i] = std::min(1.f, std::max(0.f, alpha * data[i] + beta));
  } else if (act == "HardSwish") {
    for (int64_t i = 0; i < n; ++i) {
      data[i] = data[i] * std::min(1.f, std::max(0.f, data[i] / 6.f + 0.5f));
    }
  } else {
    throw_error(ErrorCode::kUnsupported,
                node.describe() + ": unknown fused activation '" + act + "'");
  }
}

}  // namespace lowp::reference

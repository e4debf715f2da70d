#include "reference/fused_activation.h"

#include <algorithm>
#include <cmath>

namespace lowp::reference {

void apply_activation(const FusedActivation& a, float* data, int64_t n) {
  switch (a.kind) {
    case ActivationKind::kNone:
      return;
    case ActivationKind::kRelu:
      for (int64_t i = 0; i < n; ++i) data[i] = std::max(data[i], 0.f);
      return;
    case ActivationKind::kLeakyRelu:
      for (int64_t i = 0; i < n; ++i) data[i] = data[i] < 0.f ? a.slope * data[i] : data[i];
      return;
    case ActivationKind::kClip:
      for (int64_t i = 0; i < n; ++i) data[i] = std::min(std::max(data[i], a.lo), a.hi);
      return;
    case ActivationKind::kSigmoid:
      for (int64_t i = 0; i < n; ++i) data[i] = 1.f / (1.f + std::exp(-data[i]));
      return;
    case ActivationKind::kTanh:
      for (int64_t i = 0; i < n; ++i) data[i] = std::tanh(data[i]);
      return;
    case ActivationKind::kHardSigmoid:
      for (int64_t i = 0; i < n; ++i) {
        data[i] = std::min(1.f, std::max(0.f, a.alpha * data[i] + a.beta));
      }
      return;
    case ActivationKind::kHardSwish:
      for (int64_t i = 0; i < n; ++i) {
        data[i] = data[i] * std::min(1.f, std::max(0.f, data[i] / 6.f + 0.5f));
      }
      return;
  }
}

}  // namespace lowp::reference

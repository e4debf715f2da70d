#include "backends/cpu/fused_activation.h"

namespace lowp::cpu {

std::vector<EltwiseOp> activation_to_eltwise(const FusedActivation& a) {
  using dnnl::algorithm;
  switch (a.kind) {
    case ActivationKind::kNone:
      return {};
    case ActivationKind::kRelu:
      return {{algorithm::eltwise_relu, 0.f, 0.f}};
    case ActivationKind::kLeakyRelu:
      return {{algorithm::eltwise_relu, a.slope, 0.f}};
    case ActivationKind::kClip:
      return {{algorithm::eltwise_clip, a.lo, a.hi}};
    case ActivationKind::kSigmoid:
      return {{algorithm::eltwise_logistic, 0.f, 0.f}};
    case ActivationKind::kTanh:
      return {{algorithm::eltwise_tanh, 0.f, 0.f}};
    case ActivationKind::kHardSigmoid:
      return {{algorithm::eltwise_linear, a.alpha, a.beta}, {algorithm::eltwise_clip, 0.f, 1.f}};
    case ActivationKind::kHardSwish:
      return {{algorithm::eltwise_hardswish, 0.f, 0.f}};
  }
  return {};
}

void append_fused_activation(const Node& node, dnnl::post_ops& ops, std::string* tag) {
  if (!node.activation.present()) return;
  for (const EltwiseOp& e : activation_to_eltwise(node.activation)) {
    ops.append_eltwise(1.f, e.algorithm, e.alpha, e.beta);
  }
  if (tag) *tag += " +" + describe_activation(node.activation);
}

}  // namespace lowp::cpu

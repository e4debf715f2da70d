#include "lowp/fused_activation.h"

#include <cctype>

#include "lowp/graph.h"

namespace lowp {
namespace {

struct KindName {
  ActivationKind kind;
  const char* op_type;
};

constexpr KindName kKindNames[] = {
    {ActivationKind::kRelu, "Relu"},           {ActivationKind::kLeakyRelu, "LeakyRelu"},
    {ActivationKind::kClip, "Clip"},           {ActivationKind::kSigmoid, "Sigmoid"},
    {ActivationKind::kTanh, "Tanh"},           {ActivationKind::kHardSigmoid, "HardSigmoid"},
    {ActivationKind::kHardSwish, "HardSwish"},
};

std::optional<float> scalar_constant(const Value* v) {
  if (!v || !v->constant || v->constant->numel() != 1) return std::nullopt;
  return v->constant->to_float()[0];
}

}  // namespace

FusedActivation FusedActivation::of(ActivationKind kind) {
  switch (kind) {
    case ActivationKind::kLeakyRelu:
      return leaky_relu(0.01f);
    case ActivationKind::kHardSigmoid:
      return hard_sigmoid(0.2f, 0.5f);
    default:
      break;
  }
  return {.kind = kind};
}

FusedActivation FusedActivation::leaky_relu(float slope) {
  return {.kind = ActivationKind::kLeakyRelu, .slope = slope};
}

FusedActivation FusedActivation::clip(float lo, float hi) {
  return {.kind = ActivationKind::kClip, .lo = lo, .hi = hi};
}

FusedActivation FusedActivation::hard_sigmoid(float alpha, float beta) {
  return {.kind = ActivationKind::kHardSigmoid, .alpha = alpha, .beta = beta};
}

const char* activation_op_type(ActivationKind kind) {
  for (const KindName& k : kKindNames) {
    if (k.kind == kind) return k.op_type;
  }
  return "";
}

std::optional<ActivationKind> activation_kind(const std::string& op_type) {
  for (const KindName& k : kKindNames) {
    if (op_type == k.op_type) return k.kind;
  }
  return std::nullopt;
}

std::optional<FusedActivation> activation_of(const Node& node) {
  const auto kind = activation_kind(node.op_type);
  if (!kind) return std::nullopt;
  switch (*kind) {
    case ActivationKind::kLeakyRelu:
      return FusedActivation::leaky_relu(node.attr_float("alpha", 0.01f));
    case ActivationKind::kHardSigmoid:
      return FusedActivation::hard_sigmoid(node.attr_float("alpha", 0.2f),
                                           node.attr_float("beta", 0.5f));
    case ActivationKind::kClip: {
      FusedActivation a = FusedActivation::of(ActivationKind::kClip);
      if (node.input(1)) {
        auto lo = scalar_constant(node.input(1));
        if (!lo) return std::nullopt;
        a.lo = *lo;
      }
      if (node.input(2)) {
        auto hi = scalar_constant(node.input(2));
        if (!hi) return std::nullopt;
        a.hi = *hi;
      }
      return a;
    }
    default:
      return FusedActivation::of(*kind);
  }
}

std::string describe_activation(const FusedActivation& activation) {
  std::string s;
  for (const char* c = activation_op_type(activation.kind); *c; ++c) {
    s += static_cast<char>(std::tolower(static_cast<unsigned char>(*c)));
  }
  return s;
}

}  // namespace lowp

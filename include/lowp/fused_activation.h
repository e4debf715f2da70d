// The activation a pass fuses into the node that produces its input (Conv, Gemm): a typed value
// on the node (Node::activation), never attribute strings. Its parameters are named for what they
// are, with ONNX's defaults filled in when the fused form is made, so no reader guesses a default.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

namespace lowp {

class Node;

enum class ActivationKind : uint8_t {
  kNone,
  kRelu,
  kLeakyRelu,  // slope
  kClip,       // lo, hi
  kSigmoid,
  kTanh,
  kHardSigmoid,  // alpha * x + beta, clipped to [0, 1]
  kHardSwish,
};
inline constexpr int kNumActivationKinds = 8;

// Bit for `kind` in a set of activation kinds (OpSchema::fusable_activations).
constexpr uint32_t activation_bit(ActivationKind kind) {
  const auto k = static_cast<uint32_t>(kind);
  return k < kNumActivationKinds ? 1u << k : 0u;  // 0: no valid kind
}

struct FusedActivation {
  ActivationKind kind = ActivationKind::kNone;
  float slope = 0.f;                                   // LeakyRelu
  float lo = -std::numeric_limits<float>::infinity();  // Clip
  float hi = std::numeric_limits<float>::infinity();   // Clip
  float alpha = 0.f;                                   // HardSigmoid
  float beta = 0.f;                                    // HardSigmoid

  static FusedActivation of(ActivationKind kind);  // with ONNX's default parameters
  static FusedActivation leaky_relu(float slope);
  static FusedActivation clip(float lo, float hi);
  static FusedActivation hard_sigmoid(float alpha, float beta);

  bool present() const { return kind != ActivationKind::kNone; }
  bool operator==(const FusedActivation&) const = default;
};

// The ONNX op type of an activation kind ("Relu"...; "" for kNone).
const char* activation_op_type(ActivationKind kind);
// The kind whose ONNX op type is `op_type`, if it is one that fuses.
std::optional<ActivationKind> activation_kind(const std::string& op_type);

// The ONNX activation node `node` as a fused activation: its attributes, ONNX's defaults, Clip's
// bounds when they are scalar constants. nullopt when the node is no fusable activation.
std::optional<FusedActivation> activation_of(const Node& node);

// The lowercase op type ("relu", "clip"): how descriptions name a fused activation.
std::string describe_activation(const FusedActivation& activation);

}  // namespace lowp

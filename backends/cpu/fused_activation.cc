#include "backends/cpu/fused_activation.h"

#include <cctype>
#include <limits>

namespace lowp::cpu {

bool activation_to_eltwise(const std::string& op, const float* alpha, const float* beta,
                           std::vector<EltwiseOp>& out) {
  using dnnl::algorithm;
  const float inf = std::numeric_limits<float>::infinity();
  auto a = [&](float d) { return alpha ? *alpha : d; };
  auto b = [&](float d) { return beta ? *beta : d; };
  if (op == "Relu") {
    out.push_back({algorithm::eltwise_relu, 0.f, 0.f});
  } else if (op == "LeakyRelu") {
    out.push_back({algorithm::eltwise_relu, a(0.01f), 0.f});
  } else if (op == "Clip") {
    out.push_back({algorithm::eltwise_clip, a(-inf), b(inf)});
  } else if (op == "Sigmoid") {
    out.push_back({algorithm::eltwise_logistic, 0.f, 0.f});
  } else if (op == "Tanh") {
    out.push_back({algorithm::eltwise_tanh, 0.f, 0.f});
  } else if (op == "HardSigmoid") {
    out.push_back({algorithm::eltwise_linear, a(0.2f), b(0.5f)});
    out.push_back({algorithm::eltwise_clip, 0.f, 1.f});
  } else if (op == "HardSwish") {
    out.push_back({algorithm::eltwise_hardswish, 0.f, 0.f});
  } else if (op == "Elu") {
    out.push_back({algorithm::eltwise_elu, a(1.f), 0.f});
  } else if (op == "Abs") {
    out.push_back({algorithm::eltwise_abs, 0.f, 0.f});
  } else if (op == "Exp") {
    out.push_back({algorithm::eltwise_exp, 0.f, 0.f});
  } else {
    return false;
  }
  return true;
}

bool append_fused_activation(const Node& node, dnnl::post_ops& ops, std::string* tag) {
  std::string act = node.attr_string("_activation", "");
  if (act.empty()) return true;
  float alpha = 0.f;
  float beta = 0.f;
  bool has_alpha = node.has_attr("_alpha");
  bool has_beta = node.has_attr("_beta");
  if (has_alpha) alpha = node.attr_float("_alpha", 0.f);
  if (has_beta) beta = node.attr_float("_beta", 0.f);
  std::vector<EltwiseOp> eltwise;
  if (!activation_to_eltwise(act, has_alpha ? &alpha : nullptr, has_beta ? &beta : nullptr,
                             eltwise)) {
    return false;
  }
  for (const EltwiseOp& e : eltwise) ops.append_eltwise(1.f, e.algorithm, e.alpha, e.beta);
  if (tag) {
    std::string lower;
    for (char c : act) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    *tag += " +" + lower;
  }
  return true;
}

}  // namespace lowp::cpu

// Standalone activations (Relu, LeakyRelu, Sigmoid, Tanh, Clip, HardSwish, HardSigmoid), Gelu,
// Sqrt and Pow with a scalar exponent -> oneDNN eltwise in the input's layout (an activation of
// two steps, HardSigmoid's linear then clip, as two, the second in place), in place when the
// input dies here.
#include <optional>
#include <string>
#include <vector>

#include "backends/cpu/dnnl_util.h"
#include "backends/cpu/fused_activation.h"
#include "backends/cpu/lowerings.h"

namespace lowp::cpu {

namespace {

// The standalone activation `node` as a FusedActivation; Clip's optional min / max inputs must be
// known scalars.
std::optional<FusedActivation> standalone_activation(const Node& node,
                                                     const std::vector<TensorInfo>& in) {
  const auto kind = activation_kind(node.op_type);
  if (!kind) return std::nullopt;
  if (*kind != ActivationKind::kClip) return activation_of(node);
  FusedActivation a = FusedActivation::of(ActivationKind::kClip);
  float* bounds[] = {&a.lo, &a.hi};
  for (size_t i = 1; i <= 2; ++i) {
    if (in.size() <= i || !in[i].present) continue;
    if (in[i].value == nullptr || element_count(in[i].dims) != 1) return std::nullopt;
    *bounds[i - 1] = in[i].value->to_float()[0];
  }
  return a;
}

}  // namespace

bool lower_eltwise(ProgramBuilder& b, const Node& node, const std::vector<TensorInfo>& in,
                   const std::vector<TensorInfo>& out) {
  if (in.empty() || !in[0].present || out.size() != 1 || !out[0].present) return false;
  const Dims& x = in[0].dims;
  if (x.empty() || x.size() > 6 || element_count(x) == 0 || out[0].dims != x) return false;
  std::vector<EltwiseOp> ops;
  if (node.op_type == "Sqrt") {
    ops = {{dnnl::algorithm::eltwise_sqrt, 0.f, 0.f}};
  } else if (node.op_type == "Exp") {
    ops = {{dnnl::algorithm::eltwise_exp, 0.f, 0.f}};
  } else if (node.op_type == "Gelu") {
    const bool tanh = node.attr_string("approximate", "none") == "tanh";
    ops = {
        {tanh ? dnnl::algorithm::eltwise_gelu_tanh : dnnl::algorithm::eltwise_gelu_erf, 0.f, 0.f}};
  } else if (node.op_type == "Pow") {  // a known scalar exponent: 1 * x^beta
    if (in.size() != 2 || !in[1].value || element_count(in[1].dims) != 1) return false;
    if (in[1].dims.size() > x.size()) return false;  // the output would gain axes
    ops = {{dnnl::algorithm::eltwise_pow, 1.f, in[1].value->to_float()[0]}};
  } else if (const auto activation = standalone_activation(node, in)) {
    ops = activation_to_eltwise(*activation);
  }
  if (ops.empty() || ops.size() > 2) return false;
  const Value* src = node.inputs[0];
  const dnnl::memory::desc desc = b.state(src).desc;
  // One primitive per step, the later ones in place on the output. (Not as post-ops: oneDNN
  // 2.6's reference eltwise with an eltwise post-op writes zeros and corrupts memory.)
  std::vector<dnnl::eltwise_forward::primitive_desc> pds;
  try {
    for (const EltwiseOp& op : ops) {
      dnnl::eltwise_forward::desc d(dnnl::prop_kind::forward_inference, op.algorithm, desc,
                                    op.alpha, op.beta);
      pds.emplace_back(d, default_attr(), b.engine());
    }
  } catch (const dnnl::error&) {
    return false;
  }
  const dnnl::memory::desc dst = pds[0].dst_desc();
  int src_slot = b.state(src).slot;
  int dst_slot = b.place_elementwise_output(src, node.outputs[0], x, dst, {});
  for (size_t i = 0; i < pds.size(); ++i) {
    b.add_primitive(
        &node, "eltwise", dnnl::eltwise_forward(pds[i]),
        {{DNNL_ARG_SRC, dst, i == 0 ? src_slot : dst_slot}, {DNNL_ARG_DST, dst, dst_slot}},
        pds[i].scratchpad_desc());
  }
  b.describe_current("onednn eltwise " + std::string(precision_tag(in[0].dtype)) + " " +
                     layout_name(dst) + (dst_slot == src_slot ? " (in-place)" : "") +
                     (pds.size() > 1 ? " (2 steps)" : ""));
  return true;
}

}  // namespace lowp::cpu

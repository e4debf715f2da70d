// Standalone activations (Relu, LeakyRelu, Sigmoid, Tanh, Clip, HardSwish) ->
// oneDNN eltwise in the input's layout, in place when the input dies here.
#include <string>
#include <vector>

#include "backends/cpu/dnnl_util.h"
#include "backends/cpu/fused_activation.h"
#include "backends/cpu/lowerings.h"

namespace lowp::cpu {

namespace {

// Clip's optional min / max inputs must be known scalars.
bool clip_bound(const std::vector<TensorInfo>& in, size_t i, float* value, bool* present) {
  *present = false;
  if (in.size() <= i || !in[i].present) return true;
  if (in[i].value == nullptr || element_count(in[i].dims) != 1) return false;
  *value = in[i].value->to_float()[0];
  *present = true;
  return true;
}

}  // namespace

bool lower_eltwise(ProgramBuilder& b, const Node& node, const std::vector<TensorInfo>& in,
                   const std::vector<TensorInfo>& out) {
  if (in.empty() || !in[0].present || out.size() != 1 || !out[0].present) return false;
  const Dims& x = in[0].dims;
  if (x.empty() || x.size() > 6 || element_count(x) == 0 || out[0].dims != x) return false;
  float alpha = 0.f;
  float beta = 0.f;
  bool has_alpha = false;
  bool has_beta = false;
  if (node.op_type == "Clip") {
    if (!clip_bound(in, 1, &alpha, &has_alpha) || !clip_bound(in, 2, &beta, &has_beta)) {
      return false;
    }
  } else if (node.has_attr("alpha")) {
    alpha = node.attr_float("alpha", 0.f);
    has_alpha = true;
  }
  std::vector<EltwiseOp> ops;
  if (!activation_to_eltwise(node.op_type, has_alpha ? &alpha : nullptr, has_beta ? &beta : nullptr,
                             ops) ||
      ops.size() != 1) {
    return false;
  }
  const Value* src = node.inputs[0];
  const dnnl::memory::desc desc = b.state(src).desc;
  dnnl::eltwise_forward::primitive_desc pd;
  dnnl::primitive primitive;
  try {
    dnnl::eltwise_forward::desc d(dnnl::prop_kind::forward_inference, ops[0].algorithm, desc,
                                  ops[0].alpha, ops[0].beta);
    pd = dnnl::eltwise_forward::primitive_desc(d, default_attr(), b.engine());
    primitive = dnnl::eltwise_forward(pd);
  } catch (const dnnl::error&) {
    return false;
  }
  int src_slot = b.state(src).slot;
  int dst_slot = b.place_elementwise_output(src, node.outputs[0], x, pd.dst_desc(), {});
  b.add_primitive(
      &node, "eltwise", primitive,
      {{DNNL_ARG_SRC, pd.src_desc(), src_slot}, {DNNL_ARG_DST, pd.dst_desc(), dst_slot}},
      pd.scratchpad_desc());
  b.describe_current("onednn eltwise " + std::string(precision_tag(in[0].dtype)) + " " +
                     layout_name(pd.dst_desc()) + (dst_slot == src_slot ? " (in-place)" : ""));
  return true;
}

}  // namespace lowp::cpu

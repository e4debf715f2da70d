// Conv (2-D, groups, strides, pads, dilations) -> oneDNN convolution with bias, fused activation
// post-ops and the residual input 3 as a sum post-op (in place when the residual dies here).
// f32 or bf16 source and weights (the latter on AVX512-BF16, with an f32 bias); the destination
// has the output value's dtype.
#include <cstring>
#include <string>
#include <vector>

#include "backends/cpu/dnnl_util.h"
#include "backends/cpu/fused_activation.h"
#include "backends/cpu/lowerings.h"
#include "backends/cpu/window_geometry.h"

namespace lowp::cpu {

bool lower_conv(ProgramBuilder& b, const Node& node, const std::vector<TensorInfo>& in,
                const std::vector<TensorInfo>& out) {
  if (in.size() < 2 || !in[0].present || !in[1].present || in[1].value == nullptr) return false;
  if (out.size() != 1 || !out[0].present) return false;
  const Dims& x = in[0].dims;
  const Dims& w = in[1].dims;
  const Dims& y = out[0].dims;
  if (x.size() != 4 || w.size() != 4 || y.size() != 4) return false;
  if (element_count(x) == 0 || element_count(w) == 0 || element_count(y) == 0) return false;
  int64_t group = node.attr_int("group", 1);
  if (group < 1 || x[1] % group != 0 || w[0] % group != 0 || w[1] * group != x[1]) return false;
  std::vector<int64_t> kernel(w.begin() + 2, w.end());
  if (node.has_attr("kernel_shape") && node.attr_ints("kernel_shape") != kernel) return false;
  auto geometry = window_geometry(node, x, y, kernel);
  if (!geometry || geometry->pad_end_extended) return false;

  const DataType dt = in[0].dtype;
  const DataType out_dt = out[0].dtype;
  if (in[1].dtype != dt || (dt != DataType::kF32 && dt != DataType::kBF16)) return false;
  const bool has_bias = in.size() > 2 && in[2].present;
  if (has_bias && (in[2].value == nullptr || element_count(in[2].dims) != w[0])) return false;
  const bool has_residual = in.size() > 3 && in[3].present;
  if (has_residual && in[3].dims != y) return false;

  dnnl::post_ops ops;
  std::string tags;  // " +sum(in-place) +relu", in post-op order
  if (has_residual) ops.append_sum(1.f);
  std::string activation_tag;
  if (!append_fused_activation(node, ops, &activation_tag)) return false;
  dnnl::primitive_attr attr = default_attr();
  attr.set_post_ops(ops);

  Dims weight_dims = w;
  if (group > 1) weight_dims = {group, w[0] / group, w[1], w[2], w[3]};
  const dnnl::memory::desc bias_desc = has_bias ? plain_desc({w[0]}) : dnnl::memory::desc();
  const dnnl::memory::desc dst_any = any_desc(y, out_dt);
  dnnl::convolution_forward::primitive_desc pd;
  dnnl::primitive primitive;
  try {
    dnnl::convolution_forward::desc desc(
        dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, any_desc(x, dt),
        any_desc(weight_dims, dt), bias_desc, dst_any, geometry->strides, geometry->dilations,
        geometry->pad_begin, geometry->pad_end);
    pd = dnnl::convolution_forward::primitive_desc(desc, attr, b.engine());
    primitive = dnnl::convolution_forward(pd);
  } catch (const dnnl::error&) {
    return false;
  }

  const Value* src = node.inputs[0];
  const Value* dst = node.outputs[0];
  const dnnl::memory::desc dst_desc = pd.dst_desc();
  std::vector<MemoryArg> args;
  int src_slot = b.slot_in_layout(src, pd.src_desc());
  args.push_back({DNNL_ARG_SRC, pd.src_desc(), src_slot});
  const Tensor& weights = *in[1].value;
  const void* packed =
      b.pack_weights(&node, 0, plain_desc(weight_dims, dt), weights.raw(), pd.weights_desc());
  args.push_back(
      {DNNL_ARG_WEIGHTS, pd.weights_desc(), b.constant_slot(packed, pd.weights_desc().get_size())});
  if (has_bias) {
    // The bias is always f32: bf16 values are widened here.
    const void* bias_src = in[2].value->raw();
    if (in[2].dtype != DataType::kF32) {
      const std::vector<float> values = in[2].value->to_float();
      std::shared_ptr<void> f32 = make_shared_buffer(values.size() * sizeof(float));
      std::memcpy(f32.get(), values.data(), values.size() * sizeof(float));
      bias_src = b.keep(std::move(f32));
    }
    const void* bias = b.pack_weights(&node, 1, bias_desc, bias_src, pd.bias_desc());
    args.push_back(
        {DNNL_ARG_BIAS, pd.bias_desc(), b.constant_slot(bias, pd.bias_desc().get_size())});
  }
  int dst_slot = -1;
  if (has_residual) {
    bool in_place = false;
    dst_slot = b.place_sum_destination(&node, node.inputs[3], out_dt, dst, out_dt, y, dst_desc, src,
                                       src_slot, &in_place);
    tags += in_place ? " +sum(in-place)" : " +sum";
  } else {
    dst_slot = b.place_output(dst, out_dt, y, dst_desc);
  }
  tags += activation_tag;
  args.push_back({DNNL_ARG_DST, dst_desc, dst_slot});
  b.add_primitive(&node, "convolution", primitive, std::move(args), pd.scratchpad_desc());
  b.describe_current(std::string("onednn convolution ") + precision_tag(dt) + " " +
                     layout_name(dst_desc) + tags);
  return true;
}

}  // namespace lowp::cpu

// Conv (2-D, groups, strides, pads, dilations) -> oneDNN convolution with bias, fused activation
// post-ops and the residual input 3 as a sum post-op (in place when the residual dies here).
// f32 or bf16 source and weights (the latter on AVX512-BF16, with an f32 bias); the destination
// has the output value's dtype.
#include <cstring>
#include <string>
#include <vector>

#include "backends/cpu/conv_primitive.h"
#include "backends/cpu/dnnl_util.h"
#include "backends/cpu/fused_activation.h"
#include "backends/cpu/lowerings.h"

namespace lowp::cpu {

bool lower_conv(ProgramBuilder& b, const Node& node, const std::vector<TensorInfo>& in,
                const std::vector<TensorInfo>& out) {
  const std::optional<ConvShape> shape = conv_shape(node, in, out);
  if (!shape) return false;
  const DataType dt = in[0].dtype;
  const DataType out_dt = out[0].dtype;
  if (in[1].dtype != dt || (dt != DataType::kF32 && dt != DataType::kBF16)) return false;
  const Dims& w = shape->w;
  if (shape->has_bias && (in[2].value == nullptr || element_count(in[2].dims) != w[0])) {
    return false;
  }

  dnnl::post_ops ops;
  std::string tags;  // " +sum(in-place) +relu", in post-op order
  if (shape->has_residual) ops.append_sum(1.f);
  std::string activation_tag;
  append_fused_activation(node, ops, &activation_tag);
  dnnl::primitive_attr attr = default_attr();
  attr.set_post_ops(ops);

  const dnnl::memory::desc bias_desc = shape->has_bias ? plain_desc({w[0]}) : dnnl::memory::desc();
  dnnl::convolution_forward::primitive_desc pd;
  dnnl::primitive primitive;
  if (!create_convolution(b, *shape, any_desc(shape->x, dt), any_desc(shape->weight_dims, dt),
                          bias_desc, any_desc(shape->y, out_dt), attr, &pd, &primitive)) {
    return false;
  }

  std::vector<MemoryArg> args;
  const int src_slot = add_source_and_weights(b, node, *shape, pd, dt, in[1].value->raw(), &args);
  if (shape->has_bias) {
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
  add_destination(b, node, *shape, pd, out_dt, out_dt, src_slot, &args, &tags);
  tags += activation_tag;
  const dnnl::memory::desc dst_desc = pd.dst_desc();
  b.add_primitive(&node, "convolution", primitive, std::move(args), pd.scratchpad_desc());
  b.describe_current(std::string("onednn convolution ") + precision_tag(dt) + " " +
                     layout_name(dst_desc) + tags);
  return true;
}

}  // namespace lowp::cpu

// BatchNormalization (inference) -> oneDNN batch_normalization with global stats, scale and
// shift, in the input's layout and in place when the input dies here.
#include <string>
#include <vector>

#include "backends/cpu/dnnl_util.h"
#include "backends/cpu/lowerings.h"

namespace lowp::cpu {

bool lower_batchnorm(ProgramBuilder& b, const Node& node, const std::vector<TensorInfo>& in,
                     const std::vector<TensorInfo>& out) {
  if (in.size() != 5 || out.empty() || !out[0].present) return false;
  for (size_t i = 1; i < node.outputs.size(); ++i) {
    if (node.outputs[i] != nullptr) return false;
  }
  if (node.attr_int("training_mode", 0) != 0) return false;
  for (const TensorInfo& i : in) {
    if (i.present && i.dtype != DataType::kF32) return false;  // statistics stay f32
  }
  const Dims& x = in[0].dims;
  if (x.size() < 2 || x.size() > 5 || element_count(x) == 0) return false;
  const int64_t channels = x[1];
  for (size_t i = 1; i < 5; ++i) {
    if (!in[i].present || in[i].value == nullptr || element_count(in[i].dims) != channels) {
      return false;
    }
  }
  const float epsilon = node.attr_float("epsilon", 1e-5f);
  const Value* src = node.inputs[0];
  const dnnl::memory::desc desc = b.state(src).desc;
  dnnl::batch_normalization_forward::primitive_desc pd;
  dnnl::primitive primitive;
  try {
    auto flags = dnnl::normalization_flags::use_global_stats |
                 dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift;
    dnnl::batch_normalization_forward::desc d(dnnl::prop_kind::forward_inference, desc, epsilon,
                                              flags);
    pd = dnnl::batch_normalization_forward::primitive_desc(d, default_attr(), b.engine());
    primitive = dnnl::batch_normalization_forward(pd);
  } catch (const dnnl::error&) {
    return false;
  }
  const dnnl::memory::desc param = plain_desc({channels});
  auto constant = [&](size_t i) { return b.constant_slot(in[i].value->raw(), param.get_size()); };
  int src_slot = b.state(src).slot;
  std::vector<MemoryArg> args = {{DNNL_ARG_SRC, desc, src_slot},
                                 {DNNL_ARG_SCALE, param, constant(1)},
                                 {DNNL_ARG_SHIFT, param, constant(2)},
                                 {DNNL_ARG_MEAN, param, constant(3)},
                                 {DNNL_ARG_VARIANCE, param, constant(4)}};
  int dst_slot = b.place_elementwise_output(src, node.outputs[0], x, desc, {});
  args.push_back({DNNL_ARG_DST, desc, dst_slot});
  b.add_primitive(&node, "batch_normalization", primitive, std::move(args), pd.scratchpad_desc());
  b.describe_current("onednn batch_normalization fp32 " + layout_name(desc) +
                     (dst_slot == src_slot ? " (in-place)" : ""));
  return true;
}

}  // namespace lowp::cpu

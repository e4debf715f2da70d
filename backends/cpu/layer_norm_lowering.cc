// LayerNormalization -> oneDNN layer normalization on the plain tensor viewed as [rows, row]
// (row: the axes from `axis` on), Scale and B (constants) expanded to one row. Only Y: a node
// that also returns Mean / InvStdDev runs the reference kernel.
#include <algorithm>
#include <vector>

#include "backends/cpu/dnnl_util.h"
#include "backends/cpu/lowerings.h"
#include "core/ops/broadcast.h"

namespace lowp::cpu {
namespace {

// `t` broadcast to one row of `row_dims` (f32); `fallback` where t is absent.
std::shared_ptr<void> expand_to_row(const TensorInfo* t, const Dims& row_dims, float fallback) {
  const int64_t row = element_count(row_dims);
  std::shared_ptr<void> buffer = make_shared_buffer(static_cast<size_t>(row) * sizeof(float));
  auto* dst = static_cast<float*>(buffer.get());
  if (!t) {
    for (int64_t i = 0; i < row; ++i) dst[i] = fallback;
    return buffer;
  }
  const std::vector<float> values = broadcast_values(t->value->to_float(), t->dims, row_dims);
  std::copy(values.begin(), values.end(), dst);
  return buffer;
}

}  // namespace

bool lower_layer_norm(ProgramBuilder& b, const Node& node, const std::vector<TensorInfo>& in,
                      const std::vector<TensorInfo>& out) {
  if (in.size() < 2 || !in[0].present || in[0].dtype != DataType::kF32) return false;
  for (size_t i = 1; i < out.size(); ++i) {
    if (out[i].present && node.outputs[i]) return false;  // Mean / InvStdDev wanted
  }
  for (size_t i = 1; i < in.size(); ++i) {
    if (in[i].present && !in[i].value) return false;
  }
  const Dims& x = in[0].dims;
  const auto rank = static_cast<int64_t>(x.size());
  int64_t axis = node.attr_int("axis", -1);
  if (axis < 0) axis += rank;
  const Dims row_dims(x.begin() + axis, x.end());
  const int64_t row = element_count(row_dims);
  if (row == 0 || element_count(x) == 0) return false;
  const Dims view = {element_count(x) / row, row};
  const dnnl::memory::desc desc = plain_desc(view);
  const auto flags = dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift;
  dnnl::layer_normalization_forward::primitive_desc pd;
  dnnl::primitive primitive;
  try {
    dnnl::layer_normalization_forward::desc d(dnnl::prop_kind::forward_inference, desc,
                                              node.attr_float("epsilon", 1e-5f), flags);
    pd = dnnl::layer_normalization_forward::primitive_desc(d, default_attr(), b.engine());
    primitive = dnnl::layer_normalization_forward(pd);
  } catch (const dnnl::error&) {
    return false;
  }
  const TensorInfo* bias = in.size() > 2 && in[2].present ? &in[2] : nullptr;
  const size_t bytes = static_cast<size_t>(row) * sizeof(float);
  const void* scale = b.keep(expand_to_row(&in[1], row_dims, 1.f));
  const void* shift = b.keep(expand_to_row(bias, row_dims, 0.f));
  const int src_slot = b.slot_plain(node.inputs[0]);
  const int dst_slot = b.place_output(node.outputs[0], DataType::kF32, x, plain_desc(x));
  b.add_primitive(&node, "layer_normalization", primitive,
                  {{DNNL_ARG_SRC, desc, src_slot},
                   {DNNL_ARG_SCALE, plain_desc({row}), b.constant_slot(scale, bytes)},
                   {DNNL_ARG_SHIFT, plain_desc({row}), b.constant_slot(shift, bytes)},
                   {DNNL_ARG_DST, desc, dst_slot}},
                  pd.scratchpad_desc());
  b.describe_current("onednn layer_normalization fp32 " + layout_name(desc));
  return true;
}

}  // namespace lowp::cpu

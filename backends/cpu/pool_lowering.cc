// MaxPool / AveragePool / GlobalAveragePool / GlobalMaxPool (2-D) -> oneDNN pooling, computed in
// the layout the input already has.
#include <string>
#include <vector>

#include "backends/cpu/dnnl_util.h"
#include "backends/cpu/lowerings.h"
#include "backends/cpu/window_geometry.h"

namespace lowp::cpu {

namespace {

bool single_output(const Node& node, const std::vector<TensorInfo>& out) {
  if (out.empty() || !out[0].present || node.outputs.empty() || !node.outputs[0]) return false;
  for (size_t i = 1; i < node.outputs.size(); ++i) {
    if (node.outputs[i] != nullptr) return false;  // e.g. MaxPool's Indices
  }
  return true;
}

template <typename PrimitiveDesc, typename Primitive>
void add_pooling(ProgramBuilder& b, const Node& node, const PrimitiveDesc& pd, int src_slot,
                 const Dims& y, const std::string& what) {
  Primitive primitive(pd);  // may throw dnnl::error before anything is changed
  const dnnl::memory::desc dst_desc = pd.dst_desc();
  const DataType dtype = b.state(node.inputs[0]).dtype;
  int dst_slot = b.place_output(node.outputs[0], dtype, y, dst_desc);
  b.add_primitive(&node, what, primitive,
                  {{DNNL_ARG_SRC, pd.src_desc(), src_slot}, {DNNL_ARG_DST, dst_desc, dst_slot}},
                  pd.scratchpad_desc());
  b.describe_current("onednn " + what + " " + precision_tag(dtype) + " " + layout_name(dst_desc));
}

}  // namespace

bool lower_pool(ProgramBuilder& b, const Node& node, const std::vector<TensorInfo>& in,
                const std::vector<TensorInfo>& out) {
  if (in.empty() || !in[0].present || !single_output(node, out)) return false;
  const Dims& x = in[0].dims;
  const Dims& y = out[0].dims;
  if (x.size() != 4 || y.size() != 4 || element_count(x) == 0 || element_count(y) == 0) {
    return false;
  }
  std::vector<int64_t> kernel = node.attr_ints("kernel_shape");
  auto geometry = window_geometry(node, x, y, kernel);
  if (!geometry) return false;
  const bool is_max = node.op_type == "MaxPool";
  bool dilated = geometry->dilations[0] != 0 || geometry->dilations[1] != 0;
  dnnl::algorithm algorithm = dnnl::algorithm::pooling_max;
  if (!is_max) {
    bool include_pad = node.attr_int("count_include_pad", 0) != 0;
    if (dilated || (include_pad && geometry->pad_end_extended)) return false;
    algorithm = include_pad ? dnnl::algorithm::pooling_avg_include_padding
                            : dnnl::algorithm::pooling_avg_exclude_padding;
  }
  const Value* src = node.inputs[0];
  const dnnl::memory::desc src_desc = b.state(src).desc;
  dnnl::memory::dims kernel_dims(kernel.begin(), kernel.end());
  try {
    if (dilated) {
      dnnl::pooling_v2_forward::desc desc(dnnl::prop_kind::forward_inference, algorithm, src_desc,
                                          any_desc(y, in[0].dtype), geometry->strides, kernel_dims,
                                          geometry->dilations, geometry->pad_begin,
                                          geometry->pad_end);
      dnnl::pooling_v2_forward::primitive_desc pd(desc, default_attr(), b.engine());
      add_pooling<decltype(pd), dnnl::pooling_v2_forward>(b, node, pd, b.state(src).slot, y,
                                                          "pooling");
    } else {
      dnnl::pooling_forward::desc desc(dnnl::prop_kind::forward_inference, algorithm, src_desc,
                                       any_desc(y, in[0].dtype), geometry->strides, kernel_dims,
                                       geometry->pad_begin, geometry->pad_end);
      dnnl::pooling_forward::primitive_desc pd(desc, default_attr(), b.engine());
      add_pooling<decltype(pd), dnnl::pooling_forward>(b, node, pd, b.state(src).slot, y,
                                                       "pooling");
    }
  } catch (const dnnl::error&) {
    return false;
  }
  return true;
}

bool lower_global_pool(ProgramBuilder& b, const Node& node, const std::vector<TensorInfo>& in,
                       const std::vector<TensorInfo>& out) {
  if (in.empty() || !in[0].present || !single_output(node, out)) return false;
  const Dims& x = in[0].dims;
  const Dims& y = out[0].dims;
  if (x.size() != 4 || y.size() != 4 || element_count(x) == 0) return false;
  dnnl::algorithm algorithm = node.op_type == "GlobalMaxPool"
                                  ? dnnl::algorithm::pooling_max
                                  : dnnl::algorithm::pooling_avg_exclude_padding;
  const Value* src = node.inputs[0];
  const dnnl::memory::desc src_desc = b.state(src).desc;
  try {
    dnnl::pooling_forward::desc desc(dnnl::prop_kind::forward_inference, algorithm, src_desc,
                                     any_desc(y, in[0].dtype), {1, 1}, {x[2], x[3]}, {0, 0},
                                     {0, 0});
    dnnl::pooling_forward::primitive_desc pd(desc, default_attr(), b.engine());
    add_pooling<decltype(pd), dnnl::pooling_forward>(b, node, pd, b.state(src).slot, y,
                                                     "global pooling");
  } catch (const dnnl::error&) {
    return false;
  }
  return true;
}

}  // namespace lowp::cpu

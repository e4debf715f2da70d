#include "backends/cpu/conv_primitive.h"

#include "backends/cpu/dnnl_util.h"

namespace lowp::cpu {

std::optional<ConvShape> conv_shape(const Node& node, const std::vector<TensorInfo>& in,
                                    const std::vector<TensorInfo>& out) {
  if (in.size() < 2 || !in[0].present || !in[1].present || in[1].value == nullptr) {
    return std::nullopt;
  }
  if (out.size() != 1 || !out[0].present) return std::nullopt;
  ConvShape s;
  s.x = in[0].dims;
  s.w = in[1].dims;
  s.y = out[0].dims;
  if (s.x.size() != 4 || s.w.size() != 4 || s.y.size() != 4) return std::nullopt;
  if (element_count(s.x) == 0 || element_count(s.w) == 0 || element_count(s.y) == 0) {
    return std::nullopt;
  }
  const int64_t group = node.attr_int("group", 1);
  if (group < 1 || s.x[1] % group != 0 || s.w[0] % group != 0 || s.w[1] * group != s.x[1]) {
    return std::nullopt;
  }
  const std::vector<int64_t> kernel(s.w.begin() + 2, s.w.end());
  if (node.has_attr("kernel_shape") && node.attr_ints("kernel_shape") != kernel) {
    return std::nullopt;
  }
  const std::optional<WindowGeometry> geometry = window_geometry(node, s.x, s.y, kernel);
  if (!geometry || geometry->pad_end_extended) return std::nullopt;
  s.geometry = *geometry;
  s.weight_dims = s.w;
  if (group > 1) s.weight_dims = {group, s.w[0] / group, s.w[1], s.w[2], s.w[3]};
  s.has_bias = in.size() > 2 && in[2].present;
  s.has_residual = in.size() > 3 && in[3].present;
  if (s.has_residual && in[3].dims != s.y) return std::nullopt;
  return s;
}

bool create_convolution(const ProgramBuilder& b, const ConvShape& shape,
                        const dnnl::memory::desc& src, const dnnl::memory::desc& weights,
                        const dnnl::memory::desc& bias, const dnnl::memory::desc& dst,
                        const dnnl::primitive_attr& attr,
                        dnnl::convolution_forward::primitive_desc* pd, dnnl::primitive* primitive) {
  try {
    const WindowGeometry& g = shape.geometry;
    dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference,
                                         dnnl::algorithm::convolution_direct, src, weights, bias,
                                         dst, g.strides, g.dilations, g.pad_begin, g.pad_end);
    *pd = dnnl::convolution_forward::primitive_desc(desc, attr, b.engine());
    *primitive = dnnl::convolution_forward(*pd);
  } catch (const dnnl::error&) {
    return false;
  }
  return true;
}

int add_source_and_weights(ProgramBuilder& b, const Node& node, const ConvShape& shape,
                           const dnnl::convolution_forward::primitive_desc& pd,
                           DataType weight_dtype, const void* weights,
                           std::vector<MemoryArg>* args) {
  const int src_slot = b.slot_in_layout(node.inputs[0], pd.src_desc());
  args->push_back({DNNL_ARG_SRC, pd.src_desc(), src_slot});
  const void* packed = b.pack_weights(&node, 0, plain_desc(shape.weight_dims, weight_dtype),
                                      weights, pd.weights_desc());
  args->push_back(
      {DNNL_ARG_WEIGHTS, pd.weights_desc(), b.constant_slot(packed, pd.weights_desc().get_size())});
  return src_slot;
}

void add_destination(ProgramBuilder& b, const Node& node, const ConvShape& shape,
                     const dnnl::convolution_forward::primitive_desc& pd, DataType dst_dtype,
                     DataType residual_dtype, int src_slot, std::vector<MemoryArg>* args,
                     std::string* tags) {
  const Value* dst = node.outputs[0];
  const dnnl::memory::desc dst_desc = pd.dst_desc();
  int dst_slot = -1;
  if (shape.has_residual) {
    bool in_place = false;
    dst_slot = b.place_sum_destination(&node, node.inputs[3], residual_dtype, dst, dst_dtype,
                                       shape.y, dst_desc, node.inputs[0], src_slot, &in_place);
    *tags += in_place ? " +sum(in-place)" : " +sum";
  } else {
    dst_slot = b.place_output(dst, dst_dtype, shape.y, dst_desc);
  }
  args->push_back({DNNL_ARG_DST, dst_desc, dst_slot});
}

}  // namespace lowp::cpu

// Quantized nodes (the int8 IR contract, docs/DESIGN.md) -> oneDNN int8 primitives. Activations
// stay s8 / u8 between layers in the layouts oneDNN picks (nhwc for int8 convolutions):
//  - Conv: u8 / s8 source x s8 per-output-channel weights, s32 bias (in accumulator units), the
//    requantization sx*sw[c]/sy as per-channel output scales, the source zero point natively
//    (oneDNN compensates, padding included), the destination zero point, the residual input 3 as
//    a sum post-op with scale sr/sy and zero point zr, then the fused activation rescaled.
//  - Gemm: inner_product u8 / s8 x s8 with the source zero point folded into the s32 bias
//    (exact: no padding), per-channel output scales, f32 (dequantized logits) or int8 output.
//  - MaxPool: int8 pooling (same params in and out). AveragePool / GlobalAveragePool: int8
//    pooling whose average is requantized by a linear post-op before rounding.
//  - Add: binary with per-input scales and a linear post-op for the zero points.
//  - QuantizeLinear / DequantizeLinear: one reorder with output scales and zero points;
//    DequantizeLinear keeps its source's layout (a graph output is written plain).
// Anything else returns false and the builder runs the reference kernel ("fallback (slow)").
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "backends/cpu/conv_primitive.h"
#include "backends/cpu/dnnl_util.h"
#include "backends/cpu/lowerings.h"
#include "backends/cpu/window_geometry.h"

namespace lowp::cpu {

namespace {

struct PerTensor {
  float scale = 1.f;
  int32_t zero_point = 0;
};

bool is_int8(DataType t) { return t == DataType::kS8 || t == DataType::kU8; }

const char* type_tag(DataType t) {
  switch (t) {
    case DataType::kU8:
      return "u8";
    case DataType::kS8:
      return "s8";
    case DataType::kS32:
      return "s32";
    default:
      return "f32";
  }
}

// Per-tensor params of an int8 activation Value; nullopt when absent, per-axis or degenerate.
std::optional<PerTensor> per_tensor(const Value* v) {
  if (v == nullptr || !v->quant || v->quant->scales.empty()) return std::nullopt;
  const QuantParams& q = *v->quant;
  for (size_t i = 1; i < q.scales.size(); ++i) {
    if (q.scales[i] != q.scales[0]) return std::nullopt;
  }
  for (size_t i = 1; i < q.zero_points.size(); ++i) {
    if (q.zero_points[i] != q.zero_points[0]) return std::nullopt;
  }
  PerTensor p;
  p.scale = q.scales[0];
  p.zero_point = q.zero_points.empty() ? 0 : q.zero_points[0];
  if (!(p.scale > 0.f) || !std::isfinite(p.scale)) return std::nullopt;
  return p;
}

// Per-output-channel weight scales (`count` of them) of a symmetric s8 weight; nullopt otherwise.
std::optional<std::vector<float>> weight_scales(const Value* w, int axis, int64_t count) {
  if (w == nullptr || !w->quant || w->dtype != DataType::kS8) return std::nullopt;
  const QuantParams& q = *w->quant;
  for (int32_t z : q.zero_points) {
    if (z != 0) return std::nullopt;
  }
  std::vector<float> scales;
  if (q.scales.size() == 1) {
    scales.assign(static_cast<size_t>(count), q.scales[0]);
  } else if (static_cast<int64_t>(q.scales.size()) == count && q.axis == axis) {
    scales = q.scales;
  } else {
    return std::nullopt;
  }
  for (float s : scales) {
    if (!(s > 0.f) || !std::isfinite(s)) return std::nullopt;
  }
  return scales;
}

// Bias values in accumulator units (x_scale * w_scale[c]) for `count` channels: the s32 values
// themselves when the bias params are exactly the accumulator's, else rescaled.
std::optional<std::vector<double>> bias_in_accumulator_units(const Value* bias, float x_scale,
                                                             const std::vector<float>& w_scales) {
  const size_t count = w_scales.size();
  if (bias == nullptr || !bias->constant || bias->dtype != DataType::kS32) return std::nullopt;
  const Tensor& t = *bias->constant;
  if (static_cast<size_t>(t.numel()) != count) return std::nullopt;
  const std::vector<int64_t> q = t.to_int64();
  std::vector<double> out(count);
  if (!bias->quant) return std::nullopt;
  const QuantParams& p = *bias->quant;
  if (p.scales.empty() || (p.scales.size() != 1 && p.scales.size() != count)) return std::nullopt;
  for (size_t c = 0; c < count; ++c) {
    const float s = p.scales[p.scales.size() == 1 ? 0 : c];
    const int32_t z = p.zero_points.empty() ? 0 : p.zero_points[p.zero_points.size() == 1 ? 0 : c];
    // The quantization pass sets the bias scale to the f32 product x_scale * w_scale[c].
    const float acc_scale = x_scale * w_scales[c];
    const double ratio = s == acc_scale ? 1.0 : static_cast<double>(s) / acc_scale;
    out[c] = static_cast<double>(q[c] - z) * ratio;
  }
  return out;
}

// Bias buffer for a primitive: s32 when every value is integral and fits, else f32.
struct BiasBuffer {
  std::shared_ptr<void> data;
  DataType dtype = DataType::kS32;
};
BiasBuffer make_bias(const std::vector<double>& values) {
  bool integral = true;
  for (double v : values) {
    integral = integral && v == std::nearbyint(v) && std::fabs(v) < 2147483647.0;
  }
  BiasBuffer b;
  b.dtype = integral ? DataType::kS32 : DataType::kF32;
  b.data = make_shared_buffer(values.size() * 4);
  for (size_t i = 0; i < values.size(); ++i) {
    if (integral) {
      static_cast<int32_t*>(b.data.get())[i] = static_cast<int32_t>(values[i]);
    } else {
      static_cast<float*>(b.data.get())[i] = static_cast<float>(values[i]);
    }
  }
  return b;
}

// The node's fused activation as post-ops on values already divided by `out_scale` (Relu and
// LeakyRelu commute with a positive scale; Clip's bounds are divided). False when unsupported.
bool append_scaled_activation(const Node& node, float out_scale, dnnl::post_ops& ops,
                              std::string* tag) {
  const FusedActivation& a = node.activation;
  switch (a.kind) {
    case ActivationKind::kNone:
      return true;
    case ActivationKind::kRelu:
      ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
      break;
    case ActivationKind::kLeakyRelu:
      ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, a.slope, 0.f);
      break;
    case ActivationKind::kClip:
      ops.append_eltwise(1.f, dnnl::algorithm::eltwise_clip, a.lo / out_scale, a.hi / out_scale);
      break;
    default:
      return false;
  }
  *tag += " +" + describe_activation(a);
  return true;
}

// " (ref impl: slow)" when oneDNN picked its reference implementation.
std::string impl_note(const char* impl) {
  const std::string s = impl ? impl : "";
  return s.rfind("ref", 0) == 0 ? " (oneDNN " + s + " impl: slow)" : "";
}

// Output requantization: the scale the primitive's result is divided by and the zero point added
// (f32 output: the real value itself).
struct OutputQuant {
  float scale = 1.f;
  int32_t zero_point = 0;
};
std::optional<OutputQuant> output_quant(const Value* out, DataType dtype) {
  if (dtype == DataType::kF32) return OutputQuant{};
  if (!is_int8(dtype)) return std::nullopt;
  auto p = per_tensor(out);
  if (!p) return std::nullopt;
  return OutputQuant{p->scale, p->zero_point};
}

// ---- Conv ------------------------------------------------------------------------------------

bool lower_int8_conv(ProgramBuilder& b, const Node& node, const std::vector<TensorInfo>& in,
                     const std::vector<TensorInfo>& out) {
  const std::optional<ConvShape> shape = conv_shape(node, in, out);
  if (!shape) return false;
  const Dims& w = shape->w;
  const DataType src_dt = in[0].dtype;
  const DataType dst_dt = out[0].dtype;
  if (!is_int8(src_dt) || in[1].dtype != DataType::kS8) return false;
  const auto xq = per_tensor(node.inputs[0]);
  const auto wscales = weight_scales(node.inputs[1], 0, w[0]);
  const auto yq = output_quant(node.outputs[0], dst_dt);
  if (!xq || !wscales || !yq) return false;
  const bool has_bias = shape->has_bias;
  std::optional<std::vector<double>> bias;
  if (has_bias) {
    bias = bias_in_accumulator_units(node.inputs[2], xq->scale, *wscales);
    if (!bias) return false;
  }
  const bool has_residual = shape->has_residual;
  std::optional<PerTensor> rq;
  if (has_residual) {
    rq = per_tensor(node.inputs[3]);
    // The sum post-op reinterprets the destination bytes as the residual's type: same size only.
    if (!rq || !is_int8(in[3].dtype) || !is_int8(dst_dt)) return false;
  }

  std::vector<float> scales(static_cast<size_t>(w[0]));
  for (size_t c = 0; c < scales.size(); ++c) {
    scales[c] = static_cast<float>(static_cast<double>(xq->scale) * (*wscales)[c] / yq->scale);
  }
  dnnl::primitive_attr attr = default_attr();
  dnnl::post_ops ops;
  std::string tags;
  try {
    attr.set_output_scales(1 << 1, scales);
    if (xq->zero_point != 0) attr.set_zero_points(DNNL_ARG_SRC, 0, {xq->zero_point});
    if (yq->zero_point != 0) attr.set_zero_points(DNNL_ARG_DST, 0, {yq->zero_point});
    if (has_residual) {
      ops.append_sum(rq->scale / yq->scale, rq->zero_point, to_dnnl_type(in[3].dtype));
    }
    if (!append_scaled_activation(node, yq->scale, ops, &tags)) return false;
    attr.set_post_ops(ops);
  } catch (const dnnl::error&) {
    return false;
  }

  const BiasBuffer bias_buffer = has_bias ? make_bias(*bias) : BiasBuffer{};
  const dnnl::memory::desc bias_desc =
      has_bias ? plain_desc({w[0]}, bias_buffer.dtype) : dnnl::memory::desc();
  dnnl::convolution_forward::primitive_desc pd;
  dnnl::primitive primitive;
  if (!create_convolution(b, *shape, any_desc(shape->x, src_dt),
                          any_desc(shape->weight_dims, DataType::kS8), bias_desc,
                          any_desc(shape->y, dst_dt), attr, &pd, &primitive)) {
    return false;
  }

  std::vector<MemoryArg> args;
  const int src_slot =
      add_source_and_weights(b, node, *shape, pd, DataType::kS8, in[1].value->raw(), &args);
  if (has_bias) {
    const void* data = b.keep(bias_buffer.data);
    args.push_back({DNNL_ARG_BIAS, bias_desc, b.constant_slot(data, bias_desc.get_size())});
  }
  // The sum reads the residual's bytes in the destination's layout with its own type.
  std::string sum_tag;
  add_destination(b, node, *shape, pd, dst_dt, has_residual ? in[3].dtype : dst_dt, src_slot, &args,
                  &sum_tag);
  const dnnl::memory::desc dst_desc = pd.dst_desc();
  b.add_primitive(&node, "int8 convolution", primitive, std::move(args), pd.scratchpad_desc());
  std::string zp_tag;
  if (xq->zero_point != 0) zp_tag += " (src zp " + std::to_string(xq->zero_point) + ")";
  b.describe_current(std::string("onednn convolution int8 ") + type_tag(src_dt) + "xs8->" +
                     type_tag(dst_dt) + " " + layout_name(dst_desc) + sum_tag + tags + zp_tag +
                     impl_note(pd.impl_info_str()));
  return true;
}

// ---- Gemm ------------------------------------------------------------------------------------

bool lower_int8_gemm(ProgramBuilder& b, const Node& node, const std::vector<TensorInfo>& in,
                     const std::vector<TensorInfo>& out) {
  if (node.op_type != "Gemm") return false;
  if (in.size() < 2 || !in[0].present || !in[1].present || in[1].value == nullptr) return false;
  if (out.size() != 1 || !out[0].present) return false;
  const Dims& a = in[0].dims;
  const Dims& bd = in[1].dims;
  if (a.size() != 2 || bd.size() != 2 || node.attr_int("transA", 0) != 0) return false;
  if (node.attr_float("alpha", 1.f) != 1.f || node.attr_float("beta", 1.f) != 1.f) return false;
  const bool trans_b = node.attr_int("transB", 0) != 0;
  const int64_t m = a[0];
  const int64_t k = a[1];
  const int64_t n = trans_b ? bd[0] : bd[1];
  if ((trans_b ? bd[1] : bd[0]) != k || m == 0 || n == 0 || k == 0) return false;
  if (out[0].dims != Dims{m, n}) return false;

  const DataType src_dt = in[0].dtype;
  const DataType dst_dt = out[0].dtype;
  if (!is_int8(src_dt) || in[1].dtype != DataType::kS8) return false;
  const auto xq = per_tensor(node.inputs[0]);
  const auto wscales = weight_scales(node.inputs[1], trans_b ? 0 : 1, n);
  const auto yq = output_quant(node.outputs[0], dst_dt);
  if (!xq || !wscales || !yq) return false;
  const bool has_bias = in.size() > 2 && in[2].present;
  std::vector<double> bias(static_cast<size_t>(n), 0.0);
  if (has_bias) {
    auto values = bias_in_accumulator_units(node.inputs[2], xq->scale, *wscales);
    if (!values) return false;
    bias = *values;
  }

  // Weights as [N, K] s8; the source zero point folded into the bias: -zx * sum_k w[n, k].
  std::shared_ptr<void> weights = make_shared_buffer(static_cast<size_t>(n * k));
  {
    const int8_t* src = in[1].value->data<int8_t>();
    int8_t* dst = static_cast<int8_t*>(weights.get());
    for (int64_t i = 0; i < n; ++i) {
      int64_t sum = 0;
      for (int64_t j = 0; j < k; ++j) {
        const int8_t v = trans_b ? src[i * k + j] : src[j * n + i];
        dst[i * k + j] = v;
        sum += v;
      }
      bias[static_cast<size_t>(i)] -=
          static_cast<double>(xq->zero_point) * static_cast<double>(sum);
    }
  }
  const bool any_bias = has_bias || xq->zero_point != 0;

  std::vector<float> scales(static_cast<size_t>(n));
  for (size_t c = 0; c < scales.size(); ++c) {
    scales[c] = static_cast<float>(static_cast<double>(xq->scale) * (*wscales)[c] / yq->scale);
  }
  dnnl::primitive_attr attr = default_attr();
  dnnl::post_ops ops;
  std::string tags;
  try {
    attr.set_output_scales(1 << 1, scales);
    if (!append_scaled_activation(node, yq->scale, ops, &tags)) return false;
    // inner_product takes no zero-point attribute: the output zero point is a final linear op.
    if (yq->zero_point != 0) {
      ops.append_eltwise(1.f, dnnl::algorithm::eltwise_linear, 1.f,
                         static_cast<float>(yq->zero_point));
    }
    attr.set_post_ops(ops);
  } catch (const dnnl::error&) {
    return false;
  }
  const BiasBuffer bias_buffer = any_bias ? make_bias(bias) : BiasBuffer{};
  const dnnl::memory::desc src_desc = plain_desc({m, k}, src_dt);
  const dnnl::memory::desc dst_desc = plain_desc({m, n}, dst_dt);
  const dnnl::memory::desc bias_desc =
      any_bias ? plain_desc({n}, bias_buffer.dtype) : dnnl::memory::desc();
  dnnl::inner_product_forward::primitive_desc pd;
  dnnl::primitive primitive;
  try {
    dnnl::inner_product_forward::desc desc(dnnl::prop_kind::forward_inference, src_desc,
                                           any_desc({n, k}, DataType::kS8), bias_desc, dst_desc);
    pd = dnnl::inner_product_forward::primitive_desc(desc, attr, b.engine());
    primitive = dnnl::inner_product_forward(pd);
  } catch (const dnnl::error&) {
    return false;
  }
  if (!(pd.src_desc() == src_desc) || !(pd.dst_desc() == dst_desc)) return false;

  std::vector<MemoryArg> args;
  args.push_back({DNNL_ARG_SRC, src_desc, b.slot_plain(node.inputs[0])});
  const void* packed =
      b.pack_weights(&node, 0, plain_desc({n, k}, DataType::kS8), weights.get(), pd.weights_desc());
  args.push_back(
      {DNNL_ARG_WEIGHTS, pd.weights_desc(), b.constant_slot(packed, pd.weights_desc().get_size())});
  if (any_bias) {
    const void* data = b.keep(bias_buffer.data);
    args.push_back({DNNL_ARG_BIAS, bias_desc, b.constant_slot(data, bias_desc.get_size())});
  }
  const int dst_slot = b.place_output(node.outputs[0], dst_dt, out[0].dims, dst_desc);
  args.push_back({DNNL_ARG_DST, dst_desc, dst_slot});
  b.add_primitive(&node, "int8 inner_product", primitive, std::move(args), pd.scratchpad_desc());
  b.describe_current(std::string("onednn inner_product int8 ") + type_tag(src_dt) + "xs8->" +
                     type_tag(dst_dt) + tags + impl_note(pd.impl_info_str()));
  return true;
}

// ---- Pools -----------------------------------------------------------------------------------

bool single_output(const Node& node, const std::vector<TensorInfo>& out) {
  if (out.empty() || !out[0].present || node.outputs.empty() || !node.outputs[0]) return false;
  for (size_t i = 1; i < node.outputs.size(); ++i) {
    if (node.outputs[i] != nullptr) return false;  // e.g. MaxPool's Indices
  }
  return true;
}

bool lower_int8_pool(ProgramBuilder& b, const Node& node, const std::vector<TensorInfo>& in,
                     const std::vector<TensorInfo>& out) {
  if (in.empty() || !in[0].present || !single_output(node, out)) return false;
  const Dims& x = in[0].dims;
  const Dims& y = out[0].dims;
  if (x.size() != 4 || y.size() != 4 || element_count(x) == 0 || element_count(y) == 0) {
    return false;
  }
  const DataType src_dt = in[0].dtype;
  const DataType dst_dt = out[0].dtype;
  if (!is_int8(src_dt) || !is_int8(dst_dt)) return false;  // int8 pooling has no f32 output
  const auto xq = per_tensor(node.inputs[0]);
  const auto yq = per_tensor(node.outputs[0]);
  if (!xq || !yq) return false;

  const bool global = node.op_type == "GlobalAveragePool" || node.op_type == "GlobalMaxPool";
  const bool is_max = node.op_type == "MaxPool" || node.op_type == "GlobalMaxPool";
  std::vector<int64_t> kernel =
      global ? std::vector<int64_t>{x[2], x[3]} : node.attr_ints("kernel_shape");
  dnnl::memory::dims strides{1, 1};
  dnnl::memory::dims pad_begin{0, 0};
  dnnl::memory::dims pad_end{0, 0};
  bool include_pad = false;
  if (!global) {
    auto geometry = window_geometry(node, x, y, kernel);
    if (!geometry) return false;
    if (geometry->dilations[0] != 0 || geometry->dilations[1] != 0) return false;
    strides = geometry->strides;
    pad_begin = geometry->pad_begin;
    pad_end = geometry->pad_end;
    include_pad = !is_max && node.attr_int("count_include_pad", 0) != 0;
    // Padding counts as stored 0, which is real 0 only when the zero point is 0.
    const bool padded =
        pad_begin[0] || pad_begin[1] || pad_end[0] || pad_end[1] || geometry->pad_end_extended;
    if (include_pad && padded && (xq->zero_point != 0 || geometry->pad_end_extended)) return false;
  }
  // Max: same params in and out (a pass-through), any requantization would need a second step.
  const bool same_params =
      xq->scale == yq->scale && xq->zero_point == yq->zero_point && src_dt == dst_dt;
  if (is_max && !same_params) return false;

  dnnl::primitive_attr attr = default_attr();
  std::string tags;
  if (!is_max && !same_params) {
    // avg(q) is computed in f32; real = (avg - zx) * sx, so q_y = avg * sx/sy + zy - zx * sx/sy.
    const double ratio = static_cast<double>(xq->scale) / yq->scale;
    const double shift = yq->zero_point - xq->zero_point * ratio;
    dnnl::post_ops ops;
    ops.append_eltwise(1.f, dnnl::algorithm::eltwise_linear, static_cast<float>(ratio),
                       static_cast<float>(shift));
    attr.set_post_ops(ops);
    tags = " +requantize";
  }
  const dnnl::algorithm algorithm = is_max        ? dnnl::algorithm::pooling_max
                                    : include_pad ? dnnl::algorithm::pooling_avg_include_padding
                                                  : dnnl::algorithm::pooling_avg_exclude_padding;
  const Value* src = node.inputs[0];
  const dnnl::memory::desc src_desc = b.state(src).desc;
  const dnnl::memory::dims kernel_dims(kernel.begin(), kernel.end());
  dnnl::pooling_forward::primitive_desc pd;
  dnnl::primitive primitive;
  try {
    dnnl::pooling_forward::desc desc(dnnl::prop_kind::forward_inference, algorithm, src_desc,
                                     any_desc(y, dst_dt), strides, kernel_dims, pad_begin, pad_end);
    pd = dnnl::pooling_forward::primitive_desc(desc, attr, b.engine());
    primitive = dnnl::pooling_forward(pd);
  } catch (const dnnl::error&) {
    return false;
  }
  const int src_slot = b.state(src).slot;
  const dnnl::memory::desc dst_desc = pd.dst_desc();
  const int dst_slot = b.place_output(node.outputs[0], dst_dt, y, dst_desc);
  b.add_primitive(&node, "int8 pooling", primitive,
                  {{DNNL_ARG_SRC, pd.src_desc(), src_slot}, {DNNL_ARG_DST, dst_desc, dst_slot}},
                  pd.scratchpad_desc());
  b.describe_current(std::string("onednn ") + (global ? "global pooling" : "pooling") +
                     (is_max ? " max" : " avg") + " int8 " + type_tag(src_dt) + "->" +
                     type_tag(dst_dt) + " " + layout_name(dst_desc) + tags +
                     impl_note(pd.impl_info_str()));
  return true;
}

// ---- Add -------------------------------------------------------------------------------------

bool lower_int8_add(ProgramBuilder& b, const Node& node, const std::vector<TensorInfo>& in,
                    const std::vector<TensorInfo>& out) {
  if (in.size() != 2 || !in[0].present || !in[1].present || out.size() != 1) return false;
  if (node.activation.present()) return false;
  const Dims& y = out[0].dims;
  if (y.empty() || y.size() > 6 || element_count(y) == 0) return false;
  if (in[0].dims != y || in[1].dims != y) return false;  // no broadcasting here
  const DataType dst_dt = out[0].dtype;
  if (!is_int8(in[0].dtype) || !is_int8(in[1].dtype) || !is_int8(dst_dt)) return false;
  const auto aq = per_tensor(node.inputs[0]);
  const auto cq = per_tensor(node.inputs[1]);
  const auto yq = per_tensor(node.outputs[0]);
  if (!aq || !cq || !yq) return false;
  const Value* src0 = node.inputs[0];
  const Value* src1 = node.inputs[1];
  if (src0 == src1) return false;
  const double s0 = static_cast<double>(aq->scale) / yq->scale;
  const double s1 = static_cast<double>(cq->scale) / yq->scale;
  const double shift = yq->zero_point - aq->zero_point * s0 - cq->zero_point * s1;

  const dnnl::memory::desc desc0 = b.state(src0).desc;
  const dnnl::memory::desc desc1 = with_data_type(desc0, in[1].dtype);
  const dnnl::memory::desc dst_desc = with_data_type(desc0, dst_dt);
  dnnl::binary::primitive_desc pd;
  dnnl::primitive primitive;
  try {
    dnnl::primitive_attr attr = default_attr();
    attr.set_scales(DNNL_ARG_SRC_0, 0, {static_cast<float>(s0)});
    attr.set_scales(DNNL_ARG_SRC_1, 0, {static_cast<float>(s1)});
    if (shift != 0.0) {
      dnnl::post_ops ops;
      ops.append_eltwise(1.f, dnnl::algorithm::eltwise_linear, 1.f, static_cast<float>(shift));
      attr.set_post_ops(ops);
    }
    dnnl::binary::desc d(dnnl::algorithm::binary_add, desc0, desc1, dst_desc);
    pd = dnnl::binary::primitive_desc(d, attr, b.engine());
    primitive = dnnl::binary(pd);
  } catch (const dnnl::error&) {
    return false;
  }
  const int slot0 = b.state(src0).slot;
  const int slot1 = b.slot_in_layout(src1, desc1);
  const int dst_slot = in[0].dtype == dst_dt
                           ? b.place_elementwise_output(src0, node.outputs[0], y, desc0, {src1})
                           : b.place_output(node.outputs[0], dst_dt, y, dst_desc);
  b.add_primitive(&node, "int8 binary", primitive,
                  {{DNNL_ARG_SRC_0, desc0, slot0},
                   {DNNL_ARG_SRC_1, desc1, slot1},
                   {DNNL_ARG_DST, dst_desc, dst_slot}},
                  pd.scratchpad_desc());
  b.describe_current(std::string("onednn binary add int8 ") + type_tag(in[0].dtype) + "+" +
                     type_tag(in[1].dtype) + "->" + type_tag(dst_dt) + " " + layout_name(desc0) +
                     (dst_slot == slot0 ? " (in-place)" : "") + impl_note(pd.impl_info_str()));
  return true;
}

// ---- QuantizeLinear / DequantizeLinear -------------------------------------------------------

// Scales and one common zero point from the node's constant inputs 1 and 2; `mask` selects the
// axis for per-axis params. False when unknown or when zero points differ along the axis.
struct LinearParams {
  std::vector<float> scales;
  int32_t zero_point = 0;
  int mask = 0;
};
std::optional<LinearParams> linear_params(const Node& node, const std::vector<TensorInfo>& in) {
  if (in.size() < 2 || !in[1].present || in[1].value == nullptr) return std::nullopt;
  LinearParams p;
  p.scales = in[1].value->to_float();
  if (p.scales.empty()) return std::nullopt;
  for (float s : p.scales) {
    if (!(s > 0.f) || !std::isfinite(s)) return std::nullopt;
  }
  if (in.size() > 2 && in[2].present) {
    if (in[2].value == nullptr) return std::nullopt;
    const std::vector<int64_t> z = in[2].value->to_int64();
    if (z.empty()) return std::nullopt;
    for (int64_t v : z) {
      if (v != z[0]) return std::nullopt;
    }
    p.zero_point = static_cast<int32_t>(z[0]);
  }
  if (p.scales.size() > 1) {
    int64_t axis = node.attr_int("axis", 1);
    const int64_t rank = static_cast<int64_t>(in[0].dims.size());
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank) return std::nullopt;
    p.mask = 1 << axis;
  }
  return p;
}

bool lower_quantize(ProgramBuilder& b, const Node& node, const std::vector<TensorInfo>& in,
                    const std::vector<TensorInfo>& out) {
  if (in.empty() || !in[0].present || out.size() != 1 || !out[0].present) return false;
  if (in[0].dtype != DataType::kF32 || !is_int8(out[0].dtype)) return false;
  if (element_count(in[0].dims) == 0 || in[0].dims.empty() || in[0].dims.size() > 6) return false;
  auto p = linear_params(node, in);
  if (!p) return false;
  std::vector<float> inverse;
  for (float s : p->scales) inverse.push_back(1.f / s);
  const Value* src = node.inputs[0];
  const auto& s = b.state(src);
  const int src_slot = s.slot;
  const dnnl::memory::desc src_desc = s.desc;
  // 4-D activations go straight to nhwc, the layout oneDNN's int8 convolutions read.
  const Dims& dims = out[0].dims;
  const dnnl::memory::desc dst_desc =
      dims.size() == 4 ? dnnl::memory::desc(to_dnnl(dims), to_dnnl_type(out[0].dtype),
                                            dnnl::memory::format_tag::nhwc)
                       : plain_desc(dims, out[0].dtype);
  dnnl::reorder::primitive_desc pd;
  try {
    dnnl::primitive_attr attr = default_attr();
    attr.set_output_scales(p->mask, inverse);
    if (p->zero_point != 0) attr.set_zero_points(DNNL_ARG_DST, 0, {p->zero_point});
    pd = dnnl::reorder::primitive_desc(b.engine(), src_desc, b.engine(), dst_desc, attr);
  } catch (const dnnl::error&) {
    return false;
  }
  const int dst_slot = b.place_output(node.outputs[0], out[0].dtype, dims, dst_desc);
  b.add_primitive(&node, "quantize reorder", dnnl::reorder(pd),
                  {{DNNL_ARG_FROM, src_desc, src_slot}, {DNNL_ARG_TO, dst_desc, dst_slot}},
                  pd.scratchpad_desc());
  b.describe_current(std::string("onednn reorder quantize f32 ") + layout_name(src_desc) + " -> " +
                     type_tag(out[0].dtype) + " " + layout_name(dst_desc) +
                     impl_note(pd.impl_info_str()));
  return true;
}

bool lower_dequantize(ProgramBuilder& b, const Node& node, const std::vector<TensorInfo>& in,
                      const std::vector<TensorInfo>& out) {
  if (in.empty() || !in[0].present || out.size() != 1 || !out[0].present) return false;
  const DataType src_dt = in[0].dtype;
  if (!(is_int8(src_dt) || src_dt == DataType::kS32) || out[0].dtype != DataType::kF32) {
    return false;
  }
  if (element_count(in[0].dims) == 0 || in[0].dims.empty() || in[0].dims.size() > 6) return false;
  auto p = linear_params(node, in);
  if (!p) return false;
  const Value* src = node.inputs[0];
  const auto& s = b.state(src);
  const int src_slot = s.slot;
  const dnnl::memory::desc src_desc = s.desc;
  // The source's layout (an int8 convolution's nhwc output stays nhwc for the fp32 convolution
  // that reads it, without a second reorder); a graph output plain.
  const dnnl::memory::desc dst_desc = b.is_graph_output(node.outputs[0])
                                          ? plain_desc(out[0].dims, DataType::kF32)
                                          : with_data_type(src_desc, DataType::kF32);
  // The zero point is applied by a separate in-place linear eltwise, not by the reorder's source
  // zero point: oneDNN 2.6's u8 nhwc -> f32 reorder with a source zero point gave wrong values
  // for some shapes (ResNet-18 layer4, 512x7x7), found by tests/engine_api_test's QDQ cases.
  if (p->zero_point != 0 && p->scales.size() != 1) return false;
  dnnl::reorder::primitive_desc pd;
  dnnl::eltwise_forward::primitive_desc shift;
  try {
    dnnl::primitive_attr attr = default_attr();
    attr.set_output_scales(p->mask, p->scales);
    pd = dnnl::reorder::primitive_desc(b.engine(), src_desc, b.engine(), dst_desc, attr);
    if (p->zero_point != 0) {
      dnnl::eltwise_forward::desc d(dnnl::prop_kind::forward_inference,
                                    dnnl::algorithm::eltwise_linear, dst_desc, 1.f,
                                    -p->scales[0] * static_cast<float>(p->zero_point));
      shift = dnnl::eltwise_forward::primitive_desc(d, default_attr(), b.engine());
    }
  } catch (const dnnl::error&) {
    return false;
  }
  const int dst_slot = b.place_output(node.outputs[0], DataType::kF32, out[0].dims, dst_desc);
  b.add_primitive(&node, "dequantize reorder", dnnl::reorder(pd),
                  {{DNNL_ARG_FROM, src_desc, src_slot}, {DNNL_ARG_TO, dst_desc, dst_slot}},
                  pd.scratchpad_desc());
  if (p->zero_point != 0) {
    b.add_primitive(&node, "dequantize zero point", dnnl::eltwise_forward(shift),
                    {{DNNL_ARG_SRC, dst_desc, dst_slot}, {DNNL_ARG_DST, dst_desc, dst_slot}},
                    shift.scratchpad_desc());
  }
  b.describe_current(std::string("onednn reorder dequantize ") + type_tag(src_dt) + " " +
                     layout_name(src_desc) + " -> f32 " + layout_name(dst_desc) +
                     impl_note(pd.impl_info_str()));
  return true;
}

}  // namespace

const LoweringTable& int8_lowering_table() {
  static const LoweringTable kTable = {
      {"Conv", lower_int8_conv},
      {"Gemm", lower_int8_gemm},
      {"MaxPool", lower_int8_pool},
      {"AveragePool", lower_int8_pool},
      {"GlobalAveragePool", lower_int8_pool},
      {"GlobalMaxPool", lower_int8_pool},
      {"Add", lower_int8_add},
      {"QuantizeLinear", lower_quantize},
      {"DequantizeLinear", lower_dequantize},
  };
  return kTable;
}

}  // namespace lowp::cpu

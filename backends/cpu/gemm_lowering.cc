// Gemm (transA=0, constant B, bias C of N elements) and MatMul with a constant 2-D B (and lowp's
// fused bias of N elements) ->
// oneDNN inner_product on plain row-major tensors, with the fused activation as a post-op.
// alpha / beta / transB are folded into the packed weights and bias. Source and weights are f32 or
// bf16 (AVX512-BF16), the bias always f32, the destination in the output value's dtype.
#include <cstring>
#include <string>
#include <vector>

#include "backends/cpu/dnnl_util.h"
#include "backends/cpu/fused_activation.h"
#include "backends/cpu/lowerings.h"

namespace lowp::cpu {

bool lower_gemm(ProgramBuilder& b, const Node& node, const std::vector<TensorInfo>& in,
                const std::vector<TensorInfo>& out) {
  const bool is_gemm = node.op_type == "Gemm";
  if (in.size() < 2 || !in[0].present || !in[1].present || in[1].value == nullptr) return false;
  if (out.size() != 1 || !out[0].present) return false;
  const Dims& a = in[0].dims;
  const Dims& bd = in[1].dims;
  const Dims& y = out[0].dims;
  if (bd.size() != 2 || a.size() < 2 || (is_gemm && a.size() != 2)) return false;
  if (is_gemm && node.attr_int("transA", 0) != 0) return false;
  const bool trans_b = is_gemm && node.attr_int("transB", 0) != 0;
  const float alpha = is_gemm ? node.attr_float("alpha", 1.f) : 1.f;
  const float beta = is_gemm ? node.attr_float("beta", 1.f) : 1.f;
  const int64_t k = a.back();
  const int64_t m = element_count(a) / (k == 0 ? 1 : k);
  const int64_t n = trans_b ? bd[0] : bd[1];
  if ((trans_b ? bd[1] : bd[0]) != k || m == 0 || n == 0 || k == 0) return false;
  if (element_count(y) != m * n || y.back() != n) return false;

  const DataType dt = in[0].dtype;
  if (in[1].dtype != dt || (dt != DataType::kF32 && dt != DataType::kBF16)) return false;
  // Gemm's C, or MatMul's fused bias (lowp's form, beta 1).
  const bool has_bias = in.size() > 2 && in[2].present && beta != 0.f;
  if (has_bias) {
    const TensorInfo& c = in[2];
    int64_t count = element_count(c.dims);
    if (c.value == nullptr || (count != n && count != 1) || (count == n && c.dims.back() != n)) {
      return false;
    }
  }

  dnnl::post_ops ops;
  std::string tags;
  append_fused_activation(node, ops, &tags);
  dnnl::primitive_attr attr = default_attr();
  attr.set_post_ops(ops);
  const dnnl::memory::desc src_desc = plain_desc({m, k}, dt);
  const dnnl::memory::desc dst_desc = plain_desc({m, n}, out[0].dtype);
  const dnnl::memory::desc bias_desc = has_bias ? plain_desc({n}) : dnnl::memory::desc();
  dnnl::inner_product_forward::primitive_desc pd;
  dnnl::primitive primitive;
  try {
    dnnl::inner_product_forward::desc desc(dnnl::prop_kind::forward_inference, src_desc,
                                           any_desc({n, k}, dt), bias_desc, dst_desc);
    pd = dnnl::inner_product_forward::primitive_desc(desc, attr, b.engine());
    primitive = dnnl::inner_product_forward(pd);
  } catch (const dnnl::error&) {
    return false;
  }
  if (!(pd.src_desc() == src_desc) || !(pd.dst_desc() == dst_desc)) return false;

  // Weights as [N, K] row-major, alpha applied.
  std::shared_ptr<void> plain = make_shared_buffer(static_cast<size_t>(n * k) * sizeof(float));
  {
    const std::vector<float> values = in[1].value->to_float();
    const float* src = values.data();
    float* dst = static_cast<float*>(plain.get());
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < k; ++j) {
        dst[i * k + j] = alpha * (trans_b ? src[i * k + j] : src[j * n + i]);
      }
    }
  }
  std::vector<MemoryArg> args;
  args.push_back({DNNL_ARG_SRC, src_desc, b.slot_plain(node.inputs[0])});
  const void* packed = b.pack_weights(&node, 0, plain_desc({n, k}), plain.get(), pd.weights_desc());
  args.push_back(
      {DNNL_ARG_WEIGHTS, pd.weights_desc(), b.constant_slot(packed, pd.weights_desc().get_size())});
  if (has_bias) {
    std::shared_ptr<void> bias = make_shared_buffer(static_cast<size_t>(n) * sizeof(float));
    const std::vector<float> c = in[2].value->to_float();
    bool scalar = element_count(in[2].dims) == 1;
    float* dst = static_cast<float*>(bias.get());
    for (int64_t i = 0; i < n; ++i) dst[i] = beta * c[scalar ? 0 : i];
    const void* data = b.keep(std::move(bias));
    args.push_back(
        {DNNL_ARG_BIAS, bias_desc, b.constant_slot(data, static_cast<size_t>(n) * sizeof(float))});
  }
  int dst_slot = b.place_output(node.outputs[0], out[0].dtype, y, plain_desc(y, out[0].dtype));
  args.push_back({DNNL_ARG_DST, dst_desc, dst_slot});
  b.add_primitive(&node, "inner_product", primitive, std::move(args), pd.scratchpad_desc());
  b.describe_current(std::string("onednn inner_product ") + precision_tag(dt) + " " +
                     layout_name(pd.weights_desc()) + tags);
  return true;
}

}  // namespace lowp::cpu

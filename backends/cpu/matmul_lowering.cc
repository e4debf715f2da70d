// MatMul of two activations, or with a weight of rank > 2 (attention's Q K^T and P V, batched
// projections) -> oneDNN matmul on plain row-major tensors: [..., M, K] x [..., K, N] with numpy
// broadcasting of the batch dims, the fused activation as a post-op. f32 or bf16 operands, the
// destination in the output value's dtype. A constant 2-D B goes to lower_gemm (inner_product
// with packed weights, and lowp's fused bias) instead.
#include <string>
#include <vector>

#include "backends/cpu/dnnl_util.h"
#include "backends/cpu/fused_activation.h"
#include "backends/cpu/lowerings.h"
#include "core/ops/broadcast.h"

namespace lowp::cpu {

bool lower_matmul(ProgramBuilder& b, const Node& node, const std::vector<TensorInfo>& in,
                  const std::vector<TensorInfo>& out) {
  if (in.size() < 2 || !in[0].present || !in[1].present) return false;
  if (out.size() != 1 || !out[0].present) return false;
  if (in[1].value != nullptr && in[1].dims.size() == 2 && lower_gemm(b, node, in, out)) {
    return true;
  }
  if (in.size() > 2 && in[2].present) return false;  // the fused bias: inner_product only
  const DataType dt = in[0].dtype;
  if (in[1].dtype != dt || (dt != DataType::kF32 && dt != DataType::kBF16)) return false;
  const Dims& ad = in[0].dims;
  const Dims& bd = in[1].dims;
  const Dims& y = out[0].dims;
  if (ad.size() < 2 || bd.size() < 2) return false;  // 1-D operands: the reference kernel
  const size_t rank = std::max(ad.size(), bd.size());
  if (rank > DNNL_MAX_NDIMS || y.size() != rank || element_count(y) == 0) return false;
  if (element_count(ad) == 0 || element_count(bd) == 0) return false;
  const Dims a = left_padded(ad, rank);
  const Dims w = left_padded(bd, rank);
  for (size_t i = 0; i + 2 < rank; ++i) {
    if (a[i] != w[i] && a[i] != 1 && w[i] != 1) return false;
  }
  const dnnl::memory::desc src_desc = plain_desc(a, dt);
  const dnnl::memory::desc weights_desc = plain_desc(w, dt);
  const dnnl::memory::desc dst_desc = plain_desc(y, out[0].dtype);
  dnnl::post_ops ops;
  std::string tags;
  append_fused_activation(node, ops, &tags);
  dnnl::primitive_attr attr = default_attr();
  attr.set_post_ops(ops);
  dnnl::matmul::primitive_desc pd;
  try {
    dnnl::matmul::desc desc(src_desc, weights_desc, dst_desc);
    pd = dnnl::matmul::primitive_desc(desc, attr, b.engine());
  } catch (const dnnl::error&) {
    return false;
  }
  const int a_slot = b.slot_plain(node.inputs[0]);
  const int w_slot = b.slot_plain(node.inputs[1]);
  const int dst_slot = b.place_output(node.outputs[0], out[0].dtype, y, dst_desc);
  b.add_primitive(&node, "matmul", dnnl::matmul(pd),
                  {{DNNL_ARG_SRC, src_desc, a_slot},
                   {DNNL_ARG_WEIGHTS, weights_desc, w_slot},
                   {DNNL_ARG_DST, dst_desc, dst_slot}},
                  pd.scratchpad_desc());
  b.describe_current(std::string("onednn matmul ") + precision_tag(dt) + " " + dims_to_string(a) +
                     " x " + dims_to_string(w) + tags);
  return true;
}

}  // namespace lowp::cpu

// ReduceMean -> oneDNN reduction (mean) on the plain tensor. The destination is described with
// the reduced axes kept as 1 (the same bytes whether or not the node keeps them). A mean over axes
// of size 1 only is an alias of the input (a global pool of a 1x1 map).
#include <vector>

#include "backends/cpu/dnnl_util.h"
#include "backends/cpu/lowerings.h"

namespace lowp::cpu {

bool lower_reduce(ProgramBuilder& b, const Node& node, const std::vector<TensorInfo>& in,
                  const std::vector<TensorInfo>& out) {
  if (in.empty() || !in[0].present || out.size() != 1 || in[0].dtype != DataType::kF32) {
    return false;
  }
  const Dims& x = in[0].dims;
  const auto rank = static_cast<int64_t>(x.size());
  if (rank < 1 || rank > 6 || element_count(x) == 0) return false;
  Dims kept = x;
  const bool given = in.size() > 1 && in[1].present && element_count(in[1].dims) > 0;
  if (given) {
    if (!in[1].value) return false;
    for (int64_t a : in[1].value->to_int64()) kept[static_cast<size_t>(a < 0 ? a + rank : a)] = 1;
  } else if (node.attr_int("noop_with_empty_axes", 0) == 0) {
    kept.assign(kept.size(), 1);
  }
  if (kept == x) {  // every reduced axis has size 1: the mean is the input (an alias)
    b.define(node.outputs[0], DataType::kF32, out[0].dims, b.slot_plain(node.inputs[0]),
             plain_desc(out[0].dims));
    b.describe_current("alias (mean over axes of size 1, no copy)");
    return true;
  }
  const dnnl::memory::desc src = plain_desc(x);
  const dnnl::memory::desc dst = plain_desc(kept);
  dnnl::primitive primitive;
  dnnl::memory::desc scratchpad;
  try {
    dnnl::reduction::desc d(dnnl::algorithm::reduction_mean, src, dst, 0.f, 0.f);
    dnnl::reduction::primitive_desc pd(d, default_attr(), b.engine());
    primitive = dnnl::reduction(pd);
    scratchpad = pd.scratchpad_desc();
  } catch (const dnnl::error&) {
    return false;
  }
  const int src_slot = b.slot_plain(node.inputs[0]);
  const int dst_slot =
      b.place_output(node.outputs[0], DataType::kF32, out[0].dims, plain_desc(out[0].dims));
  b.add_primitive(&node, "reduction", primitive,
                  {{DNNL_ARG_SRC, src, src_slot}, {DNNL_ARG_DST, dst, dst_slot}}, scratchpad);
  b.describe_current("onednn reduction mean fp32 " + layout_name(src));
  return true;
}

}  // namespace lowp::cpu

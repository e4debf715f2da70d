// ReduceMean, ReduceSum, ReduceL1, ReduceL2, ReduceSumSquare -> oneDNN reduction on the plain
// tensor. The destination is described with the reduced axes kept as 1 (the same bytes whether or
// not the node keeps them). A mean or sum over axes of size 1 only is an alias of the input (a
// global pool of a 1x1 map).
#include <cctype>
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
  const std::string& op = node.op_type;
  std::string kind = op.substr(6);  // "Mean", "Sum", "L1", "L2", "SumSquare"
  for (char& c : kind) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const bool identity_on_one = op == "ReduceMean" || op == "ReduceSum";
  if (kept == x && identity_on_one) {  // every reduced axis has size 1: the input (an alias)
    b.define(node.outputs[0], DataType::kF32, out[0].dims, b.slot_plain(node.inputs[0]),
             plain_desc(out[0].dims));
    b.describe_current("alias (" + kind + " over axes of size 1, no copy)");
    return true;
  }
  const dnnl::memory::desc src = plain_desc(x);
  const dnnl::memory::desc dst = plain_desc(kept);
  dnnl::primitive primitive;
  dnnl::memory::desc scratchpad;
  try {
    // L1 / L2: (sum |x|^p)^(1/p) with eps 0; SumSquare: sum |x|^2.
    const auto [algorithm, p] =
        op == "ReduceMean"  ? std::pair{dnnl::algorithm::reduction_mean, 0.f}
        : op == "ReduceSum" ? std::pair{dnnl::algorithm::reduction_sum, 0.f}
        : op == "ReduceL1"  ? std::pair{dnnl::algorithm::reduction_norm_lp_sum, 1.f}
        : op == "ReduceL2"  ? std::pair{dnnl::algorithm::reduction_norm_lp_sum, 2.f}
                            : std::pair{dnnl::algorithm::reduction_norm_lp_power_p_sum, 2.f};
    dnnl::reduction::desc d(algorithm, src, dst, p, 0.f);
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
  b.describe_current("onednn reduction " + kind + " fp32 " + layout_name(src));
  return true;
}

}  // namespace lowp::cpu

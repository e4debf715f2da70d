// Add / Sub / Mul / Div -> oneDNN binary. The full-size operand is src0 (swapped for Add / Mul when
// needed) and keeps its layout; a same-size src1 is brought to that layout, a broadcast src1 must
// be plain. Anything oneDNN rejects falls back.
#include <string>
#include <vector>

#include "backends/cpu/dnnl_util.h"
#include "backends/cpu/lowerings.h"

namespace lowp::cpu {

bool lower_binary(ProgramBuilder& b, const Node& node, const std::vector<TensorInfo>& in,
                  const std::vector<TensorInfo>& out) {
  if (in.size() != 2 || !in[0].present || !in[1].present || out.size() != 1) return false;
  const Dims& y = out[0].dims;
  if (y.empty() || y.size() > 6 || element_count(y) == 0) return false;
  const std::string& op = node.op_type;
  dnnl::algorithm algorithm = op == "Add"   ? dnnl::algorithm::binary_add
                              : op == "Sub" ? dnnl::algorithm::binary_sub
                              : op == "Mul" ? dnnl::algorithm::binary_mul
                                            : dnnl::algorithm::binary_div;
  const bool commutative = op == "Add" || op == "Mul";
  int first = 0;
  if (in[0].dims != y) {
    if (!commutative || in[1].dims != y) return false;
    first = 1;
  }
  const Value* src0 = node.inputs[static_cast<size_t>(first)];
  const Value* src1 = node.inputs[static_cast<size_t>(1 - first)];
  const Dims& d1 = in[static_cast<size_t>(1 - first)].dims;
  if (d1.size() > y.size()) return false;
  Dims aligned(y.size() - d1.size(), 1);
  aligned.insert(aligned.end(), d1.begin(), d1.end());

  const dnnl::memory::desc desc0 = b.state(src0).desc;
  // Same dims and rank: src1 is brought to src0's layout. A lower-rank src1 (even one whose
  // aligned dims equal the output's) stays plain, described with the aligned dims.
  const bool same = d1 == y;
  const dnnl::memory::desc desc1 = same ? desc0 : plain_desc(aligned, in[1].dtype);
  dnnl::binary::primitive_desc pd;
  dnnl::primitive primitive;
  try {
    dnnl::binary::desc d(algorithm, desc0, desc1, desc0);
    pd = dnnl::binary::primitive_desc(d, default_attr(), b.engine());
    primitive = dnnl::binary(pd);
  } catch (const dnnl::error&) {
    return false;
  }
  int slot0 = b.state(src0).slot;
  int slot1 = same ? b.slot_in_layout(src1, desc1) : b.slot_plain(src1);
  int dst_slot = b.place_elementwise_output(src0, node.outputs[0], y, desc0, {src1});
  b.add_primitive(&node, "binary", primitive,
                  {{DNNL_ARG_SRC_0, desc0, slot0},
                   {DNNL_ARG_SRC_1, desc1, slot1},
                   {DNNL_ARG_DST, desc0, dst_slot}},
                  pd.scratchpad_desc());
  b.describe_current("onednn binary " + std::string(precision_tag(in[0].dtype)) + " " +
                     layout_name(desc0) + (dst_slot == slot0 ? " (in-place)" : ""));
  return true;
}

}  // namespace lowp::cpu

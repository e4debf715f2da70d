// Cast between f32 and bf16 (the edges of a bf16 region) -> one oneDNN reorder that converts the
// element type and keeps the source's layout (a convolution's blocked or channels-last output
// stays so: the next convolution reads it without a second reorder; a reader that needs plain
// asks for it). A graph output is written plain, where the caller reads it.
#include <string>
#include <vector>

#include "backends/cpu/dnnl_util.h"
#include "backends/cpu/lowerings.h"

namespace lowp::cpu {

bool lower_cast(ProgramBuilder& b, const Node& node, const std::vector<TensorInfo>& in,
                const std::vector<TensorInfo>& out) {
  if (in.size() != 1 || !in[0].present || out.size() != 1 || !out[0].present) return false;
  if (in[0].dtype == out[0].dtype || element_count(in[0].dims) == 0) return false;
  const Value* src = node.inputs[0];
  const auto& s = b.state(src);
  const int src_slot = s.slot;
  const dnnl::memory::desc src_desc = s.desc;
  const dnnl::memory::desc dst_desc = b.is_graph_output(node.outputs[0])
                                          ? plain_desc(out[0].dims, out[0].dtype)
                                          : with_data_type(src_desc, out[0].dtype);
  dnnl::reorder::primitive_desc pd;
  try {
    pd = dnnl::reorder::primitive_desc(b.engine(), src_desc, b.engine(), dst_desc, default_attr());
  } catch (const dnnl::error&) {
    return false;
  }
  const int dst_slot = b.place_output(node.outputs[0], out[0].dtype, out[0].dims, dst_desc);
  b.add_primitive(&node, "cast reorder", dnnl::reorder(pd),
                  {{DNNL_ARG_FROM, src_desc, src_slot}, {DNNL_ARG_TO, dst_desc, dst_slot}},
                  pd.scratchpad_desc());
  b.describe_current(std::string("onednn reorder ") + precision_tag(in[0].dtype) + " " +
                     layout_name(src_desc) + " -> " + precision_tag(out[0].dtype) + " " +
                     layout_name(dst_desc));
  return true;
}

}  // namespace lowp::cpu

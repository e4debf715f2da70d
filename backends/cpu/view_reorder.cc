// One reorder from a strided view of a node's input into its plain output (Transpose, Slice).
#include <string>

#include "backends/cpu/dnnl_util.h"
#include "backends/cpu/lowerings.h"

namespace lowp::cpu {

bool lower_view_reorder(ProgramBuilder& b, const Node& node, const dnnl::memory::desc& view,
                        DataType dtype, const Dims& out_dims, const std::string& what) {
  const dnnl::memory::desc dst_desc = plain_desc(out_dims, dtype);
  dnnl::reorder::primitive_desc pd;
  try {
    pd = dnnl::reorder::primitive_desc(b.engine(), view, b.engine(), dst_desc, default_attr());
  } catch (const dnnl::error&) {
    return false;
  }
  const int src_slot = b.slot_plain(node.inputs[0]);
  const int dst_slot = b.place_output(node.outputs[0], dtype, out_dims, dst_desc);
  b.add_primitive(&node, what + " reorder", dnnl::reorder(pd),
                  {{DNNL_ARG_FROM, view, src_slot}, {DNNL_ARG_TO, dst_desc, dst_slot}},
                  pd.scratchpad_desc());
  b.describe_current("onednn reorder (" + what + ") " + precision_tag(dtype));
  return true;
}

}  // namespace lowp::cpu

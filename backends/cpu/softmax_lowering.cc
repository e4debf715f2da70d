// Softmax -> oneDNN softmax on the plain tensor (`_coerce_2d` views
// it as 2-D [prod(dims[:axis]), prod(dims[axis:])]).
#include <string>
#include <vector>

#include "backends/cpu/dnnl_util.h"
#include "backends/cpu/lowerings.h"

namespace lowp::cpu {

bool lower_softmax(ProgramBuilder& b, const Node& node, const std::vector<TensorInfo>& in,
                   const std::vector<TensorInfo>& out) {
  if (in.size() != 1 || !in[0].present || out.size() != 1) return false;
  const Dims& x = in[0].dims;
  if (in[0].dtype != DataType::kF32) return false;  // f32 only (the fp16 policy keeps it so)
  const int64_t rank = static_cast<int64_t>(x.size());
  if (rank < 1 || rank > 6 || element_count(x) == 0 || out[0].dims != x) return false;
  int64_t axis = node.attr_int("axis", -1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return false;
  Dims view = x;
  if (node.attr_int("_coerce_2d", 0) != 0) {
    int64_t outer = 1;
    for (int64_t i = 0; i < axis; ++i) outer *= x[static_cast<size_t>(i)];
    view = {outer, element_count(x) / outer};
    axis = 1;
  }
  const dnnl::memory::desc desc = plain_desc(view);
  const bool log = node.op_type == "LogSoftmax";
  dnnl::primitive primitive;
  dnnl::memory::desc scratchpad;
  try {
    if (log) {
      dnnl::logsoftmax_forward::desc d(dnnl::prop_kind::forward_inference, desc,
                                       static_cast<int>(axis));
      dnnl::logsoftmax_forward::primitive_desc pd(d, default_attr(), b.engine());
      primitive = dnnl::logsoftmax_forward(pd);
      scratchpad = pd.scratchpad_desc();
    } else {
      dnnl::softmax_forward::desc d(dnnl::prop_kind::forward_inference, desc,
                                    static_cast<int>(axis));
      dnnl::softmax_forward::primitive_desc pd(d, default_attr(), b.engine());
      primitive = dnnl::softmax_forward(pd);
      scratchpad = pd.scratchpad_desc();
    }
  } catch (const dnnl::error&) {
    return false;
  }
  int src_slot = b.slot_plain(node.inputs[0]);
  int dst_slot = b.place_output(node.outputs[0], DataType::kF32, x, plain_desc(x));
  b.add_primitive(&node, log ? "logsoftmax" : "softmax", primitive,
                  {{DNNL_ARG_SRC, desc, src_slot}, {DNNL_ARG_DST, desc, dst_slot}}, scratchpad);
  b.describe_current(std::string("onednn ") + (log ? "logsoftmax" : "softmax") + " fp32 " +
                     layout_name(desc));
  return true;
}

}  // namespace lowp::cpu

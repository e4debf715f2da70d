// Pad whose known pads are all zero (any mode) -> an alias of its input, no step at all. Exporters
// emit such Pads where the padding depends on the input size (Swin pads to a multiple of its
// window, which 224-pixel inputs already are). Other pads go to the reference kernel.
#include <string>
#include <vector>

#include "backends/cpu/dnnl_util.h"
#include "backends/cpu/lowerings.h"
#include "core/ops/nn_geometry.h"

namespace lowp::cpu {

bool lower_pad(ProgramBuilder& b, const Node& node, const std::vector<TensorInfo>& in,
               const std::vector<TensorInfo>& out) {
  if (in.size() < 2 || !in[0].present || in[1].value == nullptr || out.size() != 1 ||
      out[0].dtype != in[0].dtype || out[0].dims != in[0].dims) {
    return false;
  }
  const Tensor* axes = in.size() > 3 && in[3].present ? in[3].value : nullptr;
  if (in.size() > 3 && in[3].present && axes == nullptr) return false;
  const nn::PadAmounts pads = nn::pad_amounts(node, in[0].dims, *in[1].value, axes);
  for (size_t i = 0; i < pads.begin.size(); ++i) {
    if (pads.begin[i] != 0 || pads.end[i] != 0) return false;
  }
  b.define(node.outputs[0], out[0].dtype, out[0].dims, b.slot_plain(node.inputs[0]),
           plain_desc(out[0].dims, out[0].dtype));
  b.describe_current("alias (zero padding, no copy)");
  return true;
}

}  // namespace lowp::cpu
